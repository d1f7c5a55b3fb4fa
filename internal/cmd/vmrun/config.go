package main

// configPath is where the host puts the run's configuration inside the initramfs.
const configPath = "/vmrun.json"

// exitMarker starts the line the guest prints with the test binary's exit status. It is not
// shown to the user.
const exitMarker = "@@vmrun-exit-status@@ "

// The lines that carry an output file from the guest to the host, before the exit marker: a
// header, the file gzipped and in base64 over as many data lines as it takes, and an end line
// (transfer.go). None of them is shown to the user.
const (
	fileMarker    = "@@vmrun-file@@ " // followed by a fileHeader in JSON
	dataMarker    = "@@vmrun-data@@ "
	fileEndMarker = "@@vmrun-file-end@@"
)

// config is what the guest init needs to run the test binary.
type config struct {
	Binary  string   // path of the test binary inside the guest
	Args    []string // its arguments
	Env     []string // its environment, KEY=VALUE
	Dir     string   // its working directory (the package folder, as go test sets it)
	Outputs outputs  // what it writes that goes back to the host
}
