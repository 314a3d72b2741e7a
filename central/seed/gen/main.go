// Command gen writes the reference central system's seed data: applications,
// the house register and portraits. Run it from the repository root:
//
//	go run ./central/seed/gen -out testdata/applications
package main

import (
	"flag"
	"fmt"
	"os"

	"permitdesk/central/seed"
)

func main() {
	out := flag.String("out", "testdata/applications", "directory to write the seed files to")
	flag.Parse()
	ds, err := seed.Generate(seed.Options{})
	if err == nil {
		err = ds.Write(*out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %d applications and %d house codes to %s\n", len(ds.Applications), len(ds.HouseCodes), *out)
}
