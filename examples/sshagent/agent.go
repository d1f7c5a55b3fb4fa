package main

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/pkeyarena/pkeyarena/keys"
)

// Errors the agent answers with; ssh-add reports each as a refused operation.
var (
	// errFixedKeys refuses Add, Remove and RemoveAll: the keys are the files given at start,
	// read into arenas then; a key sent over the socket would have passed through the heap.
	errFixedKeys = errors.New("sshagent: keys are loaded from files at start; adding and removing are refused")
	errLocked    = errors.New("sshagent: locked")
	errNoKey     = errors.New("sshagent: no such key")
	errFlags     = errors.New("sshagent: signature flags apply to RSA keys only")
	errTooLong   = errors.New("sshagent: data to sign longer than 64 KiB")
	errPassword  = errors.New("sshagent: wrong passphrase")
)

// agentKey is one key the agent holds: the arena-held signer and its SSH view.
type agentKey struct {
	signer  *keys.Signer
	ssh     ssh.Signer
	blob    []byte // the SSH public key blob
	comment string
}

// keyAgent is an agent.ExtendedAgent over keys held in arenas. Its key list is fixed; Lock and
// Unlock work as in OpenSSH's agent (a locked agent lists nothing and signs nothing).
type keyAgent struct {
	keys []agentKey

	mu     sync.Mutex
	locked bool
	salt   [16]byte // drawn by each Lock
	pass   []byte   // lockKey of the lock passphrase and salt, while locked
}

// lockIterations is PBKDF2's work factor for the lock passphrase: what a process that reads the
// agent's heap must pay per guess (the OWASP figure for PBKDF2-HMAC-SHA256).
const lockIterations = 600_000

// lockKey derives the verifier of a lock passphrase: salted, so that equal passphrases give
// different verifiers and no precomputed table applies, and slow, so that guessing costs.
func lockKey(passphrase []byte, salt []byte) []byte {
	k, err := pbkdf2.Key(sha256.New, string(passphrase), salt, lockIterations, sha256.Size)
	if err != nil {
		panic(err) // only for FIPS-140 parameter limits, which these meet
	}
	return k
}

var _ agent.ExtendedAgent = (*keyAgent)(nil)

// newKeyAgent wraps signers; comments name them (the key files' paths).
func newKeyAgent(signers []*keys.Signer, comments []string) (*keyAgent, error) {
	a := &keyAgent{}
	for i, s := range signers {
		sshSigner, err := ssh.NewSignerFromSigner(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", comments[i], err)
		}
		a.keys = append(a.keys, agentKey{s, sshSigner, sshSigner.PublicKey().Marshal(), comments[i]})
	}
	return a, nil
}

func (a *keyAgent) isLocked() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.locked
}

// List returns the keys, or none while locked.
func (a *keyAgent) List() ([]*agent.Key, error) {
	if a.isLocked() {
		return nil, nil
	}
	var out []*agent.Key
	for _, k := range a.keys {
		out = append(out, &agent.Key{Format: k.ssh.PublicKey().Type(), Blob: k.blob, Comment: k.comment})
	}
	return out, nil
}

// Sign signs data with the key whose public key is key, inside that key's domain.
func (a *keyAgent) Sign(key ssh.PublicKey, data []byte) (*ssh.Signature, error) {
	return a.SignWithFlags(key, data, 0)
}

// maxSignData bounds what a client may have signed. What SSH signs is small (a session hash, or
// for ssh-keygen -Y sign a hash of the file), and an Ed25519 signature in place needs arena
// memory as long as the data: without a bound, any client could have each key's arena hold
// 16 MiB (the protocol's largest message) of locked memory.
const maxSignData = 64 << 10

// SignWithFlags is Sign; the flags select RSA's hash, and these keys are not RSA. Data longer
// than maxSignData is refused.
func (a *keyAgent) SignWithFlags(key ssh.PublicKey, data []byte, flags agent.SignatureFlags) (*ssh.Signature, error) {
	if a.isLocked() {
		return nil, errLocked
	}
	if flags != 0 {
		return nil, errFlags
	}
	if len(data) > maxSignData {
		return nil, errTooLong
	}
	want := key.Marshal()
	for _, k := range a.keys {
		if bytes.Equal(k.blob, want) {
			return k.ssh.Sign(rand.Reader, data)
		}
	}
	return nil, errNoKey
}

// Signers returns the keys as ssh.Signers, for programs that use the agent in-process.
func (a *keyAgent) Signers() ([]ssh.Signer, error) {
	if a.isLocked() {
		return nil, errLocked
	}
	var out []ssh.Signer
	for _, k := range a.keys {
		out = append(out, k.ssh)
	}
	return out, nil
}

// Add is refused: see errFixedKeys.
func (a *keyAgent) Add(agent.AddedKey) error { return errFixedKeys }

// Remove is refused: see errFixedKeys.
func (a *keyAgent) Remove(ssh.PublicKey) error { return errFixedKeys }

// RemoveAll is refused: see errFixedKeys.
func (a *keyAgent) RemoveAll() error { return errFixedKeys }

// Lock hides the keys until Unlock with the same passphrase.
func (a *keyAgent) Lock(passphrase []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.locked {
		return errLocked
	}
	rand.Read(a.salt[:])
	a.locked, a.pass = true, lockKey(passphrase, a.salt[:])
	return nil
}

// Unlock shows the keys again when passphrase is the one Lock was given.
func (a *keyAgent) Unlock(passphrase []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.locked || subtle.ConstantTimeCompare(lockKey(passphrase, a.salt[:]), a.pass) != 1 {
		return errPassword
	}
	a.locked, a.pass = false, nil
	return nil
}

// Extension supports none.
func (a *keyAgent) Extension(string, []byte) ([]byte, error) {
	return nil, agent.ErrExtensionUnsupported
}
