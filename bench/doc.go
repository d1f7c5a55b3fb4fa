// Package bench compares pkeyarena with plain mprotect and with memguard, the library Go users
// pick today for secrets. It is its own module so that memguard never enters pkeyarena's module
// graph. Run:
//
//	cd bench && go test -run '^$' -bench . -benchmem -count 6 . | tee new.txt
//	benchstat new.txt
//
// and read docs/benchmarks.md for the figures, the machine and the mode.
package bench
