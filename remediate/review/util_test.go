package review_test

import "strconv"

func strconvF(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
