// Package gadget plants WRPKRU byte sequences in code, for guard's audit tests only: one as an
// instruction, one hidden inside the immediate of another instruction, and one in a function
// named as package pkru's. Never import it elsewhere.
package gadget

// Planted reports whether this build holds the gadgets.
const Planted = planted
