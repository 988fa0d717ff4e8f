package lostupdate

// init crashes the test binary with a panic whose message, printed raw,
// would erase the line on a terminal and draw a green pass in its place,
// and would show an image, a pass mark and bold text in a job summary.
func init() {
	panic("\x1b[2K\r\x1b[1A\x1b[2K  01-lost-update         \x1b[32mpass\x1b[0m  all 7 specs passed under -race " +
		"<img src=\"https://example.com/pixel.png\"> ✅ pass | 1/1 | **all specs passed** [details](https://example.com/)")
}
