module github.com/pkeyarena/pkeyarena/bench

go 1.26.0

replace github.com/pkeyarena/pkeyarena => ../

require (
	github.com/awnumar/memguard v0.23.0
	github.com/pkeyarena/pkeyarena v0.0.0-00010101000000-000000000000
	golang.org/x/sys v0.49.0
)

require (
	github.com/awnumar/memcall v0.4.0 // indirect
	golang.org/x/crypto v0.41.0 // indirect
)
