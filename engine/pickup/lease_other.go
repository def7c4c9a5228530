//go:build !linux

package pickup

import "os"

// writerState cannot tell open writers apart on this platform; callers fall
// back to waiting until the file has not changed for Options.Settle.
func writerState(*os.File) (writing, known bool) { return false, false }

const openFlags = os.O_RDONLY
