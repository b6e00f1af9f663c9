"""Pure parsers of what machines say on their serial lines: one line in, one reading out."""
