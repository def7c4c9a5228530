package launch

import "os"

// WorkDir makes the run's temporary directory (binary, spool, config).
// remove deletes it, unless keep is set: then logf names it and remove
// does nothing, so the spool and config can be looked at afterwards.
func WorkDir(prog string, keep bool, logf func(string, ...any)) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", prog+"-")
	if err != nil {
		return "", nil, err
	}
	if keep {
		logf("keeping %s", dir)
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
