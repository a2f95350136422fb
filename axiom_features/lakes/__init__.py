"""The stores of accepted raw data: bars, fundamentals and news, one file per symbol."""
