//go:build !amd64

package gadget

const planted = false
