package depcheck

import "testing"

func TestOneOf(t *testing.T) {
	allow := OneOf("spool", "golang.org/x/sys/...")
	for dep, want := range map[string]bool{
		"spool": true, "spool/x": false, "spoolx": false,
		"golang.org/x/sys/unix": true, "golang.org/x/crypto/bcrypt": false,
	} {
		if allow(dep) != want {
			t.Errorf("OneOf(%q) = %v, want %v", dep, !want, want)
		}
	}
	if OneOf()("anything") {
		t.Error("an empty allowlist allowed something")
	}
}

// TestImports: depcheck itself depends on nothing outside the standard library.
func TestImports(t *testing.T) {
	if d := deps(t); len(d) != 0 {
		t.Fatalf("depcheck depends on %v", d)
	}
}
