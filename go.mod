module github.com/pkeyarena/pkeyarena

go 1.26.0

require (
	github.com/awnumar/memcall v0.4.0
	golang.org/x/sys v0.49.0
)

require go.uber.org/goleak v1.3.0

require filippo.io/edwards25519 v1.2.0
