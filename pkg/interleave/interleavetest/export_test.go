package interleavetest

// ReturnsWithin is Returns with a bound of the caller's choosing, so the
// specs can watch a call hang without waiting out HangBound.
var ReturnsWithin = returnsWithin
