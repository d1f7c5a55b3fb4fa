package secrets

import "github.com/pkeyarena/pkeyarena/domain"

// Equal reports whether s and o hold the same bytes, in constant time: how long it takes
// depends on o's length only, never on the bytes or on s's length. Both are read inside one
// read-only domain visit (over both arenas when their Stores differ). A destroyed Secret
// equals nothing; neither is changed. When the bytes cannot be read (an arena closed, or no
// protection key frees up within arena.KeyWait) Equal reports false: it fails closed.
func (s Secret) Equal(o Secret) bool {
	a, ga, err := s.h.acquire()
	if err != nil {
		return false
	}
	defer s.h.release(ga)
	b, gb, err := o.h.acquire()
	if err != nil {
		return false
	}
	defer o.h.release(gb)
	d := s.h.st.ro
	if x, y := s.h.st.arena, o.h.st.arena; x != y {
		if d, err = domain.New(domain.ReadOnly(x), domain.ReadOnly(y)); err != nil {
			return false
		}
	}
	var eq bool
	err = inside(d, func() error {
		eq = equal(a, b)
		return nil
	})
	return err == nil && eq
}

// EqualBytes reports whether s holds exactly b, in constant time: how long it takes depends on
// len(b) only, never on the bytes or on s's length, so comparing a guess leaks neither. b must
// be ordinary memory (another arena's is not readable inside s's domain). A destroyed Secret
// equals nothing, and, as with Equal, unreadable bytes give false.
func (s Secret) EqualBytes(b []byte) bool {
	a, g, err := s.h.acquire()
	if err != nil {
		return false
	}
	defer s.h.release(g)
	var eq bool
	err = inside(s.h.st.ro, func() error {
		eq = equal(a, b)
		return nil
	})
	return err == nil && eq
}

// equal compares secret with b in time that depends on len(b) alone: it reads len(b) bytes of
// secret, cycling through it, and folds the lengths' equality in without a branch.
// crypto/subtle.ConstantTimeCompare returns at once on different lengths, which tells an
// attacker the length of the secret.
func equal(secret, b []byte) bool {
	n := len(secret)
	if n == 0 {
		panic("secrets: equal over an empty secret") // every Secret holds 1 byte or more
	}
	var diff byte
	j := 0
	for i := range b {
		diff |= b[i] ^ secret[j]
		next := j + 1
		j = next &^ -ctEq(next, n) // 0 after the last byte, without a branch
	}
	return ctEq(len(b), n)&ctEq(int(diff), 0) == 1
}

// ctEq is 1 when x == y, else 0, without a branch.
func ctEq(x, y int) int {
	d := uint64(x ^ y)
	return int((d|-d)>>63) ^ 1
}
