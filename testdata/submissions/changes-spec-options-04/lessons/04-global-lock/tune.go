package globallock

func init() {
	controlled.MaxSteps = 1
}
