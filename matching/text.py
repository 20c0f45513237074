"""Character n-gram TF-IDF for Korean and English, vectorised with NumPy.

scikit-learn's `TfidfVectorizer(analyzer="char_wb")` gives the right features but builds them in
Python, one n-gram at a time: about 1 s per 2,500 product texts, so minutes at a million. Here
the same kind of features (bigrams and trigrams inside words, with the word-boundary space as
`char_wb` pads them) are hashed in a handful of NumPy passes over a batch of texts at once, and
weighted as scikit-learn's `TfidfTransformer(sublinear_tf=True)` would (smooth idf, L2 rows).
Texts go through in batches, so memory stays bounded at a million products.

Also here: `strongest_per_row`, the vectorised "keep each row's m largest entries" that the
signals and the engine share.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

_SEPARATOR = 1  # code point placed between documents
_SPACE = 32
# ASCII punctuation and control characters act as word breaks; letters of every script (Hangul
# syllables, Thai, Latin) and digits stay.
_ASCII_BREAK = np.array([not (chr(c).isalnum()) for c in range(128)], dtype=bool)
_ASCII_BREAK[_SEPARATOR] = False
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
BATCH = 8192  # texts hashed at once: a few tens of MB of temporaries


def _hash_batch(texts: list[str], n_features: int, columns: np.ndarray | None = None) -> sparse.csr_matrix:
    """Counts of hashed n-grams for one batch of texts (duplicates summed); with `columns` (a
    boolean mask over the hash space) only those n-grams, dropped before the costly sort."""
    n_docs = len(texts)
    # Every document is padded by a space on both sides, so its first and last words get their
    # boundary n-grams like the others.
    joined = " " + " \x01 ".join(texts).lower() + " "
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    ascii_codes = np.minimum(codes, 127)
    breaks = _ASCII_BREAK[ascii_codes] & (codes < 128)
    codes = np.where(breaks, np.uint32(_SPACE), codes)
    # Collapse runs of spaces so every word is padded by exactly one space on each side.
    is_space = codes == _SPACE
    keep = np.ones(len(codes), dtype=bool)
    keep[1:] = ~(is_space[1:] & is_space[:-1])
    codes = codes[keep]
    n = len(codes)
    if n < 3:
        return sparse.csr_matrix((n_docs, n_features), dtype=np.float32)
    is_sep = codes == _SEPARATOR
    is_space = codes == _SPACE
    # The column is the hash modulo n_features; for a power of two up to 2^32 only the low 32
    # bits matter, and multiply, xor and add keep low bits exact, so 32-bit arithmetic gives
    # the same columns as 64-bit at half the memory traffic.
    narrow = n_features & (n_features - 1) == 0 and n_features <= 1 << 32
    kind = np.uint32 if narrow else np.uint64
    p1, p2 = (kind(int(_P1) & 0xFFFFFFFF), kind(int(_P2) & 0xFFFFFFFF)) if narrow else (_P1, _P2)
    c = codes if narrow else codes.astype(np.uint64)
    # Position i emits the bigram (i, i+1) and the trigram (i, i+1, i+2), interleaved, so the
    # n-grams come out in document order and the row pointers follow from the separators.
    grams = np.empty((n - 2, 2), dtype=kind)
    np.multiply(c[:-2], p1, out=grams[:, 0])
    grams[:, 1] = grams[:, 0]
    grams[:, 0] ^= c[1:-1] + kind(0x51)
    grams[:, 1] ^= c[1:-1]
    grams[:, 1] *= p2
    grams[:, 1] ^= c[2:] + kind(0x9F)
    sep_any = is_sep[:-2] | is_sep[1:-1]
    ok = np.empty((n - 2, 2), dtype=bool)
    ok[:, 0] = ~sep_any & ~(is_space[:-2] & is_space[1:-1])  # no separator, not two spaces
    ok[:, 1] = ~sep_any & ~is_sep[2:] & ~is_space[1:-1]  # inside one word
    ok = ok.ravel()
    cols = grams.ravel()[ok]
    cols = (cols & kind(n_features - 1) if narrow else cols % kind(n_features)).astype(np.int32)
    position = np.flatnonzero(ok) // 2
    if columns is not None:
        wanted = columns[cols]
        cols, position = cols[wanted], position[wanted]
    boundaries = np.flatnonzero(is_sep)
    indptr = np.empty(n_docs + 1, dtype=np.int64)
    indptr[0] = 0
    indptr[1:-1] = np.searchsorted(position, boundaries)
    indptr[-1] = len(cols)
    counts = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), cols, indptr), shape=(n_docs, n_features), dtype=np.float32
    )
    counts.sum_duplicates()
    return counts


def hashed_char_ngrams(texts: list[str], *, n_features: int = 1 << 20) -> sparse.csr_matrix:
    """Counts of hashed character bigrams and trigrams inside words, one row per text."""
    if not len(texts):
        return sparse.csr_matrix((0, n_features), dtype=np.float32)
    batches = [_hash_batch(texts[i : i + BATCH], n_features) for i in range(0, len(texts), BATCH)]
    return sparse.vstack(batches, format="csr", dtype=np.float32)


def strongest_per_row(indptr: np.ndarray, data: np.ndarray, m: int) -> np.ndarray:
    """Boolean mask over a CSR matrix's entries: each row's `m` largest (ties cut arbitrarily),
    by one vectorised partition per block of long rows instead of a Python loop over rows."""
    lengths = np.diff(indptr)
    keep = np.ones(len(data), dtype=bool)
    if m <= 0:
        keep[:] = False
        return keep
    long_rows = np.flatnonzero(lengths > m)
    if not len(long_rows):
        return keep
    # Blocks of about 2M padded cells (rows x longest row; -inf pads), rows of similar length
    # together so little is padding.
    long_rows = long_rows[np.argsort(lengths[long_rows], kind="stable")]
    sorted_lengths = lengths[long_rows]
    budget = 1 << 21
    start = 0
    while start < len(long_rows):
        # Rows are sorted by length, so a block's width is its last row's.
        stop = min(len(long_rows), start + max(1, budget // int(sorted_lengths[start])))
        while stop - start > 1 and (stop - start) * int(sorted_lengths[stop - 1]) > budget:
            stop = start + (stop - start) // 2
        rows = long_rows[start:stop]
        width = int(lengths[rows].max())
        row_lengths = lengths[rows]
        total = int(row_lengths.sum())
        row_starts = indptr[rows].astype(np.int64)
        first = np.cumsum(row_lengths) - row_lengths
        column = np.arange(total) - np.repeat(first, row_lengths)
        entry = np.repeat(row_starts, row_lengths) + column
        # Negated, so the m best are the m smallest: NumPy's selection is several times faster
        # with a small kth than with one near the end of long rows.
        padded = np.full((len(rows), width), np.inf, dtype=np.float32)
        padded[np.repeat(np.arange(len(rows)), row_lengths), column] = -data[entry]
        best = np.argpartition(padded, m - 1, axis=1)[:, :m]
        keep[entry] = False
        real = best < row_lengths[:, None]
        keep[(row_starts[:, None] + best)[real]] = True
        start = stop
    return keep


def shortlist_per_row(indptr: np.ndarray, data: np.ndarray, m: int, *, every: int = 8) -> np.ndarray:
    """Boolean mask keeping at least each row's `m` largest entries, and about 1.5 m of them:
    everything above a threshold read off a sample of every `every`-th entry. Several times
    cheaper than `strongest_per_row` on long rows; for a first, generous cut."""
    lengths = np.diff(indptr)
    if not len(data) or lengths.max(initial=0) <= 4 * m:
        return np.ones(len(data), dtype=bool)
    picked = np.arange(0, len(data), every)
    sample_indptr = np.searchsorted(picked, indptr)
    sample = data[picked]
    wanted = max(1, -(-3 * m // (2 * every)))  # 1.5 m / every, rounded up
    kept = strongest_per_row(sample_indptr, sample, wanted)
    # Each row's threshold: the smallest kept sample value (rows with too few samples: none).
    kept_values = sample[kept]
    kept_indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(_row_sums(sample_indptr, kept), out=kept_indptr[1:])
    threshold = np.full(len(lengths), -np.inf, dtype=np.float32)
    enough = np.diff(sample_indptr) >= wanted  # rows with too few samples keep everything
    if enough.any() and len(kept_values):
        threshold[enough] = np.minimum.reduceat(kept_values, kept_indptr[:-1][enough])
    keep = data >= np.repeat(threshold, lengths)
    # A row whose threshold came out too high keeps everything.
    short = _row_sums(indptr, keep) < np.minimum(lengths, m)
    if short.any():
        keep |= np.repeat(short, lengths)
    return keep


def _row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum of `values` over each CSR row's entries (empty rows give 0)."""
    cumulative = np.zeros(len(values) + 1, dtype=np.float64 if values.dtype.kind == "f" else np.int64)
    np.cumsum(values, out=cumulative[1:])
    return cumulative[indptr[1:]] - cumulative[indptr[:-1]]


def _filter_entries(matrix: sparse.csr_matrix, keep: np.ndarray) -> sparse.csr_matrix:
    """The CSR matrix with only the entries where `keep` is true (rows stay in place)."""
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(_row_sums(matrix.indptr, keep), out=indptr[1:])
    return sparse.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def normalize_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """L2-normalise the rows in place (empty rows stay empty)."""
    if not matrix.nnz:
        return matrix
    norms = np.sqrt(_row_sums(matrix.indptr, matrix.data.astype(np.float64) ** 2))
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms.astype(np.float32), np.diff(matrix.indptr))
    return matrix


class CharNgramTfidf:
    """Fit document frequencies on a corpus; transform texts to L2-normalised TF-IDF rows.

    min_df drops n-grams seen once (typos, unique codes); max_df drops n-grams present in more
    than that share of documents ("ea", "을 "), which carry no signal and would make the
    buyers x products product dense. `keep` (in fit_transform and transform) keeps only each
    row's strongest n-grams, re-normalised, batch by batch, so the full rows never all exist."""

    def __init__(self, *, n_features: int = 1 << 20, min_df: int = 2, max_df: float = 0.2, n_jobs: int = 1):
        self.n_features = n_features
        self.min_df = min_df
        self.max_df = max_df
        self.n_jobs = n_jobs

    def _batches(self, texts: list[str], function, *, lazy: bool = False):
        """function(batch of texts) for each batch, in order; on n_jobs threads (NumPy and
        SciPy's sparse routines release the GIL). `lazy` yields results as they come, so
        only a few batches' results exist at once."""
        batches = (texts[i : i + BATCH] for i in range(0, len(texts), BATCH))
        if self.n_jobs <= 1 or len(texts) <= BATCH:
            results = map(function, batches)
            return results if lazy else list(results)
        from concurrent.futures import ThreadPoolExecutor

        def run():
            with ThreadPoolExecutor(self.n_jobs) as executor:
                pending = []
                for batch in batches:
                    pending.append(executor.submit(function, batch))
                    if len(pending) > self.n_jobs:
                        yield pending.pop(0).result()
                for future in pending:
                    yield future.result()

        return run() if lazy else list(run())

    def fit_transform(self, texts: list[str], *, keep: int | None = None) -> sparse.csr_matrix:
        # Small corpora: hash once, keep the counts, weigh them. Large ones (about 8 bytes per
        # character kept as counts: gigabytes at a million products) take two passes instead:
        # document frequencies first, each batch's counts dropped as soon as counted, then the
        # weights, hashing again but sorting only the kept n-grams.
        one_pass = sum(len(t) for t in texts[:: max(1, len(texts) // 1000)]) * max(1, len(texts) // 1000) < 50_000_000
        df = np.zeros(self.n_features, dtype=np.int64)
        batches = self._batches(texts, lambda batch: _hash_batch(batch, self.n_features), lazy=True)
        kept_counts = []
        for counts in batches:
            df += np.bincount(counts.indices, minlength=self.n_features)
            if one_pass:
                kept_counts.append(counts)
        limit = max(self.min_df, int(self.max_df * len(texts)))
        self.keep_columns = (df >= self.min_df) & (df <= limit)
        if not self.keep_columns.any():  # tiny corpora: keep everything seen
            self.keep_columns = df > 0
        # scikit-learn's smooth idf, counted over the kept n-grams.
        idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        self.idf_ = np.where(self.keep_columns, idf, 0.0).astype(np.float32)
        if not one_pass:
            return self.transform(texts, keep=keep)
        weighted = [self._weigh(counts, keep) for counts in kept_counts]
        return self._stack(weighted, len(texts))

    def transform(self, texts: list[str], *, keep: int | None = None) -> sparse.csr_matrix:
        weighted = self._batches(
            texts, lambda batch: self._weigh(_hash_batch(batch, self.n_features, self.keep_columns), keep)
        )
        return self._stack(list(weighted), len(texts))

    def _stack(self, parts: list[sparse.csr_matrix], n_docs: int) -> sparse.csr_matrix:
        if not parts:
            return sparse.csr_matrix((n_docs, self.n_features), dtype=np.float32)
        return sparse.vstack(parts, format="csr", dtype=np.float32)

    def _weigh(self, counts: sparse.csr_matrix, keep: int | None) -> sparse.csr_matrix:
        """Sublinear tf times idf on the kept columns, optionally each row's `keep` strongest,
        L2-normalised."""
        idf = self.idf_[counts.indices]
        counts.data = (1.0 + np.log(counts.data, dtype=np.float32)) * idf
        mask = idf > 0
        if keep is not None:
            mask &= strongest_per_row(counts.indptr, np.where(mask, counts.data, -np.inf), keep)
        if not mask.all():
            counts = _filter_entries(counts, mask)
        return normalize_rows(counts)
