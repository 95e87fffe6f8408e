package lane

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// groupGrace bounds the wait for a killed command's process group to be
// gone (GroupCommand): killed processes go within milliseconds, but
// zombies count until they are reaped, and a container's init may not
// reap.
const groupGrace = 5 * time.Second

// buildSelf builds this project's command for another OS or architecture:
// a lane runs the very code under test, not a copy shipped with the binary.
// It needs the Go toolchain and the source tree, found from the working
// directory as the go command finds it. Cancelling ctx interrupts the
// build (GroupCommand) and returns ctx's cause.
func buildSelf(ctx context.Context, goos, goarch, out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := GroupCommand(ctx, "go", "build", "-trimpath", "-o", out, "./cmd/bindmatrix")
	cmd.Dir = root
	// Its work directory beside out: the caller removes out's directory,
	// also after an interrupt killed the build, which leaves it behind.
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOTMPDIR="+filepath.Dir(out))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("building bindmatrix for %s/%s: %v\n%s", goos, goarch, err, stderr.String())
	}
	return nil
}

// moduleRoot is the directory of bindmatrix's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("a lane builds bindmatrix from source and needs the go command: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("a lane builds bindmatrix from source: run it inside the bindmatrix source tree")
	}
	data, err := os.ReadFile(gomod)
	if err != nil || !bytes.Contains(data, []byte("module github.com/bindmatrix/bindmatrix\n")) {
		return "", fmt.Errorf("%s is not bindmatrix's go.mod: run lanes inside the bindmatrix source tree", gomod)
	}
	return filepath.Dir(gomod), nil
}
