package lostupdate

// A generics bomb: each gN instantiates gN+1 with a type twice as long
// as its own, so the compiler's types and symbol names double 24 times.
type pair[A, B any] struct {
	a A
	b B
}

func g0[T any]()  { g1[pair[T, T]]() }
func g1[T any]()  { g2[pair[T, T]]() }
func g2[T any]()  { g3[pair[T, T]]() }
func g3[T any]()  { g4[pair[T, T]]() }
func g4[T any]()  { g5[pair[T, T]]() }
func g5[T any]()  { g6[pair[T, T]]() }
func g6[T any]()  { g7[pair[T, T]]() }
func g7[T any]()  { g8[pair[T, T]]() }
func g8[T any]()  { g9[pair[T, T]]() }
func g9[T any]()  { g10[pair[T, T]]() }
func g10[T any]() { g11[pair[T, T]]() }
func g11[T any]() { g12[pair[T, T]]() }
func g12[T any]() { g13[pair[T, T]]() }
func g13[T any]() { g14[pair[T, T]]() }
func g14[T any]() { g15[pair[T, T]]() }
func g15[T any]() { g16[pair[T, T]]() }
func g16[T any]() { g17[pair[T, T]]() }
func g17[T any]() { g18[pair[T, T]]() }
func g18[T any]() { g19[pair[T, T]]() }
func g19[T any]() { g20[pair[T, T]]() }
func g20[T any]() { g21[pair[T, T]]() }
func g21[T any]() { g22[pair[T, T]]() }
func g22[T any]() { g23[pair[T, T]]() }
func g23[T any]() { g24[pair[T, T]]() }
func g24[T any]() { var t T; _ = t }

// Boom makes the compiler instantiate them all.
func Boom() { g0[int]() }
