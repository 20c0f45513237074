"""Matching between SMEs and buyers: built in the matching-engine issue."""
