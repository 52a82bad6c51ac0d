// Command bff-widget runs the loyalty checkout product: the BFF (serving the widget), the
// embedded sandbox of the loyalty platform behind it, and a demo store to try it in. main
// only wires packages together (internal/app reads the configuration and runs the servers);
// each package documents its own job.
//
//	go run .            everything: BFF on ADDR, sandbox on SANDBOX_ADDR, demo store on DEMO_ADDR
//	go run . sandbox    the sandbox alone, as a separate upstream process
//	go run . bff        the BFF alone (with its widget), for the tenants of TENANTS
//
// Flags may come before or after the mode: go run . sandbox -sandbox-addr :9090.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/loyalty-checkout/bff-widget/internal/app"
)

// version and commit say which build this is, set at link time (-ldflags "-X
// main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)"); else from the binary's build
// information (the module's version; the commit Go stamps into a binary built in a git
// checkout, unless -buildvcs=false).
var version, commit string

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the command with this binary's build, and its exit status: 0, also after -h (the
// usage is on stderr); else 1, with the error on stderr.
func run(args []string, stdout, stderr io.Writer) int {
	err := app.Run(args, stdout, version, commit)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "error:", err)
	return 1
}
