package sync

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"permitdesk/central/pki"
	"permitdesk/central/server"
)

// Run with: go test ./app/sync -run '^$' -bench . -benchtime 1x
// Each benchmark sets up its data once outside the timer.

const benchApplications = 100000

// BenchmarkPull100k pulls 100,000 applications without portraits into a
// fresh workstation database, and compares it with fetching the same bytes
// in the same number of requests from a server that only sends them.
func BenchmarkPull100k(b *testing.B) {
	ds := bulkSeed(b, benchApplications)
	c := startCentral(b, ds, server.Faults{})
	pages := rawPages(b, c)
	var total int
	for _, p := range pages {
		total += len(p)
	}

	b.Run("sync", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s := newStation(b, c, stationOptions{options: func(o *Options) { o.SkipPhotos, o.PageSize = true, 1000 }})
			b.StartTimer()
			start := time.Now()
			n, err := s.svc.pullFeed(context.Background(), FeedApplications, s.svc.applicationPage)
			if err != nil {
				b.Fatal(err)
			}
			reportRate(b, n, total, time.Since(start))
		}
	})
	b.Run("raw", func(b *testing.B) {
		url, client := blobServer(b, c, pages)
		for i := 0; i < b.N; i++ {
			start := time.Now()
			n := 0
			for p := range pages {
				n += fetch(b, client, url+"/"+strconv.Itoa(p))
			}
			reportRate(b, benchApplications, n, time.Since(start))
		}
	})
}

func reportRate(b *testing.B, records, bytes int, d time.Duration) {
	b.ReportMetric(float64(records)/d.Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/d.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(bytes), "bytes")
}

// rawPages fetches the application feed once and keeps each page's body.
func rawPages(b *testing.B, c *central) [][]byte {
	client := stationHTTP(b, c)
	var pages [][]byte
	for after := int64(0); ; {
		page, err := fetchBody(client, fmt.Sprintf("%s/v1/applications?after=%d&limit=1000&photos=false", c.url, after))
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, page)
		var p struct {
			Next int64 `json:"next"`
			More bool  `json:"more"`
		}
		if err := json.Unmarshal(page, &p); err != nil {
			b.Fatal(err)
		}
		if !p.More {
			return pages
		}
		after = p.Next
	}
}

func stationHTTP(b *testing.B, c *central) *http.Client {
	cert, key := pki.StationFiles(c.pkiDir, "DEV-0001")
	cfg, err := pki.ClientTLS(filepath.Join(c.pkiDir, pki.CAFile), cert, key)
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// blobServer serves the stored pages over the same TLS setup on 127.0.0.1.
func blobServer(b *testing.B, c *central, pages [][]byte) (string, *http.Client) {
	tlsConfig, err := pki.ServerTLS(c.pkiDir)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", tlsConfig)
	if err != nil {
		b.Fatal(err)
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	srv := &http.Server{Protocols: protocols, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Path[1:])
		w.Header().Set("Content-Type", "application/json")
		w.Write(pages[i])
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "https://" + ln.Addr().(*net.TCPAddr).String(), stationHTTP(b, c)
}

func fetch(b *testing.B, client *http.Client, url string) int {
	body, err := fetchBody(client, url)
	if err != nil {
		b.Fatal(err)
	}
	return len(body)
}

func fetchBody(client *http.Client, url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// BenchmarkPush10k pushes 10,000 issued records in batches of 100 and one
// per request.
func BenchmarkPush10k(b *testing.B) {
	const n = 10000
	ds := bulkSeed(b, n)
	for _, size := range []int{100, 1} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c := startCentral(b, ds, server.Faults{})
				s := newStation(b, c, stationOptions{batchSize: size})
				s.enqueueIssued(b, approved(ds, "DEV-0001"))
				b.StartTimer()
				start := time.Now()
				rep, err := s.svc.Push(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				if rep.Accepted != n {
					b.Fatalf("accepted %d of %d", rep.Accepted, n)
				}
				b.ReportMetric(float64(n)/d.Seconds(), "records/s")
				b.ReportMetric(float64(rep.Batches), "requests")
			}
		})
	}
}
