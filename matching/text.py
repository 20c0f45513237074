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


def _hash_batch(texts: list[str], n_features: int) -> sparse.csr_matrix:
    """Counts of hashed n-grams for one batch of texts (duplicates summed)."""
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
    c = codes.astype(np.uint64)
    # Position i emits the bigram (i, i+1) and the trigram (i, i+1, i+2), interleaved, so the
    # n-grams come out in document order and the row pointers follow from the separators.
    grams = np.empty((n - 2, 2), dtype=np.uint64)
    np.multiply(c[:-2], _P1, out=grams[:, 0])
    grams[:, 1] = grams[:, 0]
    grams[:, 0] ^= c[1:-1] + np.uint64(0x51)
    grams[:, 1] ^= c[1:-1]
    grams[:, 1] *= _P2
    grams[:, 1] ^= c[2:] + np.uint64(0x9F)
    sep_any = is_sep[:-2] | is_sep[1:-1]
    ok = np.empty((n - 2, 2), dtype=bool)
    ok[:, 0] = ~sep_any & ~(is_space[:-2] & is_space[1:-1])  # no separator, not two spaces
    ok[:, 1] = ~sep_any & ~is_sep[2:] & ~is_space[1:-1]  # inside one word
    ok = ok.ravel()
    cols = (grams.ravel()[ok] % np.uint64(n_features)).astype(np.int32)
    position = np.flatnonzero(ok) // 2
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
    """Boolean mask over a CSR matrix's entries: each row's `m` largest (ties broken by position),
    in one vectorised partition per block of long rows instead of a Python loop over rows."""
    lengths = np.diff(indptr)
    keep = np.ones(len(data), dtype=bool)
    long_rows = np.flatnonzero(lengths > m)
    if not len(long_rows) or m <= 0:
        if m <= 0:
            keep[:] = False
        return keep
    # Padded blocks of about 8M cells: rows x longest row, -inf where a row has ended.
    block = max(1, (1 << 23) // int(lengths[long_rows].max()))
    for start in range(0, len(long_rows), block):
        rows = long_rows[start : start + block]
        width = int(lengths[rows].max())
        offsets = np.arange(width)
        position = indptr[rows][:, None] + offsets
        valid = offsets < lengths[rows][:, None]
        values = np.where(valid, data[np.minimum(position, len(data) - 1)], -np.inf)
        weakest = np.argpartition(-values, m - 1, axis=1)[:, m:]
        dropped = np.take_along_axis(position, weakest, axis=1)
        dropped_valid = np.take_along_axis(valid, weakest, axis=1)
        keep[dropped[dropped_valid]] = False
    return keep


def _filter_entries(matrix: sparse.csr_matrix, keep: np.ndarray) -> sparse.csr_matrix:
    """The CSR matrix with only the entries where `keep` is true (rows stay in place)."""
    row_counts = np.add.reduceat(keep, matrix.indptr[:-1]) if len(keep) else np.zeros(matrix.shape[0], np.int64)
    row_counts = np.where(np.diff(matrix.indptr) > 0, row_counts, 0)
    indptr = np.zeros(matrix.shape[0] + 1, dtype=np.int64)
    np.cumsum(row_counts, out=indptr[1:])
    return sparse.csr_matrix((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def normalize_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """L2-normalise the rows in place (empty rows stay empty)."""
    squares = np.add.reduceat(matrix.data * matrix.data, matrix.indptr[:-1]) if matrix.nnz else None
    if squares is None:
        return matrix
    lengths = np.diff(matrix.indptr)
    norms = np.sqrt(np.where(lengths > 0, squares, 1.0), dtype=np.float32)
    matrix.data /= np.repeat(norms, lengths)
    return matrix


class CharNgramTfidf:
    """Fit document frequencies on a corpus; transform texts to L2-normalised TF-IDF rows.

    min_df drops n-grams seen once (typos, unique codes); max_df drops n-grams present in more
    than that share of documents ("ea", "을 "), which carry no signal and would make the
    buyers x products product dense. `keep` (in fit_transform and transform) keeps only each
    row's strongest n-grams, re-normalised, batch by batch, so the full rows never all exist."""

    def __init__(self, *, n_features: int = 1 << 20, min_df: int = 2, max_df: float = 0.2):
        self.n_features = n_features
        self.min_df = min_df
        self.max_df = max_df

    def fit_transform(self, texts: list[str], *, keep: int | None = None) -> sparse.csr_matrix:
        batches = [_hash_batch(texts[i : i + BATCH], self.n_features) for i in range(0, len(texts), BATCH)]
        df = np.zeros(self.n_features, dtype=np.int64)
        for counts in batches:
            df += np.bincount(counts.indices, minlength=self.n_features)
        limit = max(self.min_df, int(self.max_df * len(texts)))
        self.keep_columns = (df >= self.min_df) & (df <= limit)
        if not self.keep_columns.any():  # tiny corpora: keep everything seen
            self.keep_columns = df > 0
        # scikit-learn's smooth idf, counted over the kept n-grams.
        idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        self.idf_ = np.where(self.keep_columns, idf, 0.0).astype(np.float32)
        weighted = []
        for i in range(len(batches)):
            weighted.append(self._weigh(batches[i], keep))
            batches[i] = None  # free each batch's counts as soon as it is weighted
        return self._stack(weighted, len(texts))

    def transform(self, texts: list[str], *, keep: int | None = None) -> sparse.csr_matrix:
        weighted = [
            self._weigh(_hash_batch(texts[i : i + BATCH], self.n_features), keep)
            for i in range(0, len(texts), BATCH)
        ]
        return self._stack(weighted, len(texts))

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
