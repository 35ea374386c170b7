// Command cop is the COP platform: `cop dev` runs everything locally,
// `cop serve` runs the web server and workflow worker in production.
package main

import (
	"os"

	"cop/platform/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
