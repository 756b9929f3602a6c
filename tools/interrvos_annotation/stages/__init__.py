"""The four stages of the InterRVOS annotation pipeline (Sec. 3.1)."""
