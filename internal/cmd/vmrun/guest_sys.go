//go:build linux

package main

import linux "golang.org/x/sys/unix"

// The guest init's own system calls, which the library never makes: they stay out of its door
// (internal/unix).

// loopbackUp brings the loopback interface up (the VM runner's guest starts with it down).
func loopbackUp() error {
	fd, err := linux.Socket(linux.AF_INET, linux.SOCK_DGRAM|linux.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer linux.Close(fd)
	ifr, err := linux.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := linux.IoctlIfreq(fd, linux.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | linux.IFF_UP)
	return linux.IoctlIfreq(fd, linux.SIOCSIFFLAGS, ifr)
}
