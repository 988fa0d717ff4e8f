package lostupdate

// init starts goroutines without end, each blocked forever.
func init() {
	block := make(chan struct{})
	for {
		go func() { <-block }()
	}
}
