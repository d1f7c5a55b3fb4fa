module github.com/pkeyarena/pkeyarena/examples/sshagent

go 1.26.0

require (
	github.com/pkeyarena/pkeyarena v0.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/crypto v0.57.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/awnumar/memcall v0.4.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/pkeyarena/pkeyarena => ../..
