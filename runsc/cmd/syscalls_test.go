package cmd

import (
	"context"
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/subcommands"
)

func TestSyscallsListsTheTable(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	status := new(Syscalls).Execute(context.Background(), flag.NewFlagSet("syscalls", flag.ContinueOnError))
	os.Stdout = stdout
	w.Close()
	out, _ := io.ReadAll(r)
	if status != subcommands.ExitSuccess {
		t.Fatalf("status %v", status)
	}
	for _, want := range []string{"0    read", "59   execve", "implemented"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "rseq") {
		t.Errorf("rseq (ENOSYS) listed without --all")
	}
}
