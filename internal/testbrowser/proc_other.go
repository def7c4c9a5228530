//go:build !unix

package testbrowser

import "os/exec"

// killGroup leaves cmd as it is: without process groups a cancelled context
// kills the browser process alone.
func killGroup(cmd *exec.Cmd) {}
