"""考核评价: the pure core of assessment scores — the versioned scheme, the facts it is fed, the scores.

No I/O here except reading a scheme file; the projection feeds the facts and keeps the scores.
"""
