"""Key-line-of-enquiry frameworks: the format, loading and validation, the library."""
