// Package seed generates, writes and loads the reference central system's
// demonstration data: approved and pending residence-permit applications for
// Shenzhen acceptance points, the house register their addresses come from,
// and a drawn portrait per applicant.
//
// The data are synthetic but shaped like real records. Citizen identity
// numbers have 18 digits with the ISO 7064 MOD 11-2 check character of
// GB 11643, computed by devices/idcard. Addresses use real district (区),
// street (街道) and community (社区) names of Shenzhen. Portraits are drawn
// from ellipses and show no real person. Generation is deterministic for a given Options, so
// the files in testdata/applications can be checked against the generator.
//
// House codes and permit numbers use project-defined formats. A house code
// has 19 digits: the 6-digit district code, 2-digit street and community
// indexes, a 5-digit building serial and a 4-digit room. A permit number is
// "SZ", the approval year and an 8-digit serial.
package seed

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"permitdesk/central/api"
	"permitdesk/devices/idcard"
)

// Application statuses in the seed files.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
)

// File names inside a seed directory.
const (
	ApplicationsFile = "applications.jsonl"
	HouseCodesFile   = "housecodes.jsonl"
	PhotoDir         = "photos"
)

// Application is one seeded application. Pending applications have no
// permit number, approval time or validity until an administrator approves
// them.
type Application struct {
	ID           string      `json:"id"`
	StationID    string      `json:"stationId"`
	Status       string      `json:"status"`
	Holder       api.Holder  `json:"holder"`
	Address      api.Address `json:"address"`
	PermitNumber string      `json:"permitNumber,omitempty"`
	Authority    string      `json:"authority"`
	ApprovedAt   *time.Time  `json:"approvedAt,omitempty"`
	ValidFrom    string      `json:"validFrom,omitempty"`
	ValidTo      string      `json:"validTo,omitempty"`
	// PhotoFile is the portrait's path relative to the seed directory.
	PhotoFile string `json:"photoFile,omitempty"`
	// Photo is the JPEG portrait; it is stored in PhotoFile, not in the JSON.
	Photo []byte `json:"-"`
}

// HouseCode is one entry of the house register.
type HouseCode struct {
	Address api.Address         `json:"address"`
	Status  api.HouseCodeStatus `json:"status"`
}

// Dataset is everything the central store is seeded with.
type Dataset struct {
	Applications []Application
	HouseCodes   []HouseCode
}

// Station sets how many applications one station gets.
type Station struct {
	ID       string
	Approved int
	Pending  int
}

// Options configure Generate. The zero value generates the committed data.
type Options struct {
	// Seed drives every random choice; 0 means 20261101.
	Seed uint64
	// Stations and their application counts; nil means DEV-0001 with 520
	// approved and 40 pending, and DEV-0002 with 70 approved and 10 pending.
	Stations []Station
	// ExtraHouseCodes are register entries no application uses; 0 means 300.
	ExtraHouseCodes int
	// RetiredHouseCodes of the extra entries are marked retired; 0 means 20.
	RetiredHouseCodes int
	// Reference is the generation date that approvals count back from; zero
	// means 2026-11-01 09:00 China Standard Time.
	Reference time.Time
	// NoPhotos skips drawing the portraits, for large data sets and quick
	// checks; PhotoFile is still set, and every other field is unchanged.
	NoPhotos bool
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 20261101
	}
	if o.Stations == nil {
		o.Stations = []Station{{"DEV-0001", 520, 40}, {"DEV-0002", 70, 10}}
	}
	if o.ExtraHouseCodes == 0 {
		o.ExtraHouseCodes = 300
	}
	if o.RetiredHouseCodes == 0 {
		o.RetiredHouseCodes = 20
	}
	if o.Reference.IsZero() {
		o.Reference = time.Date(2026, 11, 1, 9, 0, 0, 0, ChinaTime)
	}
	return o
}

// ChinaTime is China Standard Time (UTC+8, no daylight saving).
var ChinaTime = time.FixedZone("CST", 8*3600)

type generator struct {
	o         Options
	rng       *rand.Rand
	ids       map[string]bool
	codes     map[string]bool
	permitSeq int
	appSeq    int
}

// Generate builds a dataset from o.
func Generate(o Options) (*Dataset, error) {
	o = o.withDefaults()
	g := &generator{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed)),
		ids: map[string]bool{}, codes: map[string]bool{}}
	ds := &Dataset{}
	for _, st := range o.Stations {
		for i := 0; i < st.Approved+st.Pending; i++ {
			a, err := g.application(st.ID, i < st.Approved)
			if err != nil {
				return nil, err
			}
			ds.Applications = append(ds.Applications, a)
			ds.HouseCodes = append(ds.HouseCodes, HouseCode{Address: a.Address, Status: api.HouseCodeActive})
		}
	}
	for i := 0; i < o.ExtraHouseCodes; i++ {
		status := api.HouseCodeActive
		if i < o.RetiredHouseCodes {
			status = api.HouseCodeRetired
		}
		ds.HouseCodes = append(ds.HouseCodes, HouseCode{Address: g.address(), Status: status})
	}
	return ds, nil
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

func (g *generator) application(station string, approved bool) (Application, error) {
	g.appSeq++
	created := g.o.Reference.AddDate(0, 0, -g.rng.IntN(45)-1)
	a := Application{
		ID:        fmt.Sprintf("JZ%s%06d", created.Format("20060102"), g.appSeq),
		StationID: station,
		Status:    StatusPending,
		Address:   g.address(),
	}
	a.Authority = authority(a.Address.District)
	holder, err := g.holder()
	if err != nil {
		return Application{}, err
	}
	a.Holder = holder
	if approved {
		g.approve(&a, created)
	}
	portraitSeed := g.rng.Uint64() // drawn even without photos, so both runs give the same data
	a.PhotoFile = PhotoDir + "/" + a.ID + ".jpg"
	if !g.o.NoPhotos {
		photo, err := Portrait(portraitSeed, a.Holder.Sex == api.SexFemale)
		if err != nil {
			return Application{}, err
		}
		a.Photo = photo
	}
	return a, nil
}

func (g *generator) approve(a *Application, created time.Time) {
	g.permitSeq++
	day := created.AddDate(0, 0, g.rng.IntN(5))
	at := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, ChinaTime).
		Add(time.Duration(g.rng.IntN(8*60)) * time.Minute)
	if at.After(g.o.Reference) {
		at = g.o.Reference.Add(-time.Duration(g.rng.IntN(600)+1) * time.Minute)
	}
	at = at.UTC()
	a.Status, a.ApprovedAt = StatusApproved, &at
	a.PermitNumber = PermitNumber(at.In(ChinaTime).Year(), g.permitSeq)
	from, to := Validity(at)
	a.ValidFrom, a.ValidTo = from.Format(time.DateOnly), to.Format(time.DateOnly)
}

// PermitNumber formats a permit number from the approval year and a serial.
func PermitNumber(year, serial int) string { return fmt.Sprintf("SZ%04d%08d", year, serial) }

// Validity returns the first and last day of a permit approved at t: one
// year, because the permit needs an endorsement every year.
func Validity(approvedAt time.Time) (from, to time.Time) {
	d := approvedAt.In(ChinaTime)
	from = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(1, 0, -1)
}

func authority(district string) string {
	short := strings.TrimSuffix(strings.TrimSuffix(district, "新区"), "区")
	return "深圳市公安局" + short + "分局"
}

func (g *generator) holder() (api.Holder, error) {
	h := g.pickHukou()
	female := g.rng.IntN(2) == 0
	age := 18 + g.rng.IntN(41)
	birth := time.Date(g.o.Reference.Year()-age, time.Month(1+g.rng.IntN(12)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	for {
		seq := g.rng.IntN(500)*2 + 1 // odd: male
		if female {
			seq--
		}
		num, err := idcard.MakeNumber(h.Code, idcard.DateOf(birth), seq)
		if err != nil {
			return api.Holder{}, fmt.Errorf("seed: %w", err)
		}
		if g.ids[num] {
			continue
		}
		g.ids[num] = true
		return api.Holder{
			Name: g.name(female), Sex: sexOf(female), Ethnicity: g.ethnicity(h),
			BirthDate: dateOf(birth), IdNumber: num,
			HukouAddress: h.Name + g.hukouDetail(),
		}, nil
	}
}

func (g *generator) pickHukou() hukou { return hukous[g.rng.IntN(len(hukous))] }

func (g *generator) ethnicity(h hukou) string {
	if len(h.Ethnic) > 1 && g.rng.IntN(4) == 0 {
		return h.Ethnic[1+g.rng.IntN(len(h.Ethnic)-1)]
	}
	return h.Ethnic[0]
}

func (g *generator) name(female bool) string {
	if female {
		return g.pick(surnames) + g.pick(givenFemale)
	}
	return g.pick(surnames) + g.pick(givenMale)
}

func (g *generator) hukouDetail() string {
	switch g.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%s路%d号", g.pick(estatePrefixes)+g.pick(estatePrefixes), 1+g.rng.IntN(300))
	case 1:
		return fmt.Sprintf("%s村%d组%d号", g.pick(estatePrefixes)+g.pick([]string{"家", "坪", "塘", "岭"}), 1+g.rng.IntN(12), 1+g.rng.IntN(80))
	}
	return fmt.Sprintf("%s街%d号%d栋%d室", g.pick(estatePrefixes)+g.pick([]string{"东", "西", "南", "北", "新"}), 1+g.rng.IntN(200), 1+g.rng.IntN(20), 101+g.rng.IntN(6)*100+g.rng.IntN(4))
}

// address draws a dwelling and registers its house code.
func (g *generator) address() api.Address {
	for {
		di := g.rng.IntN(len(districts))
		d := districts[di]
		si := g.rng.IntN(len(d.Streets))
		st := d.Streets[si]
		ci := g.rng.IntN(len(st.Communities))
		building, floor, unit := 1+g.rng.IntN(40), 1+g.rng.IntN(33), 1+g.rng.IntN(8)
		estateSerial := g.rng.IntN(2500)
		code := fmt.Sprintf("%s%02d%02d%05d%02d%02d", d.Code, si+1, ci+1, estateSerial*40+building-1, floor, unit)
		if g.codes[code] {
			continue
		}
		g.codes[code] = true
		estate := estatePrefixes[estateSerial%len(estatePrefixes)] +
			estatePrefixes[(estateSerial/len(estatePrefixes))%len(estatePrefixes)] + estates[estateSerial%len(estates)]
		detail := fmt.Sprintf("%s%d号%s%d栋%d%02d房", d.Roads[estateSerial%len(d.Roads)], 1+estateSerial%3000,
			estate, building, floor, unit)
		return api.Address{HouseCode: code, District: d.Name, Street: st.Name, Community: st.Communities[ci], Detail: detail}
	}
}

func sexOf(female bool) api.Sex {
	if female {
		return api.SexFemale
	}
	return api.SexMale
}

// Write stores the dataset in dir as JSON lines plus one JPEG per portrait.
func (ds *Dataset) Write(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, PhotoDir), 0o755); err != nil {
		return fmt.Errorf("create seed directory: %w", err)
	}
	for _, a := range ds.Applications {
		if len(a.Photo) == 0 {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, a.PhotoFile), a.Photo, 0o644); err != nil {
			return fmt.Errorf("write portrait: %w", err)
		}
	}
	apps := make([]Application, len(ds.Applications))
	for i, a := range ds.Applications {
		if len(a.Photo) == 0 {
			a.PhotoFile = ""
		}
		apps[i] = a
	}
	if err := writeLines(filepath.Join(dir, ApplicationsFile), apps); err != nil {
		return err
	}
	return writeLines(filepath.Join(dir, HouseCodesFile), ds.HouseCodes)
}

func writeLines[T any](path string, items []T) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write seed file: %w", err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			f.Close()
			return fmt.Errorf("encode %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load reads a dataset written by Write and checks every identity number.
func Load(dir string) (*Dataset, error) {
	ds := &Dataset{}
	if err := readLines(filepath.Join(dir, ApplicationsFile), &ds.Applications); err != nil {
		return nil, err
	}
	if err := readLines(filepath.Join(dir, HouseCodesFile), &ds.HouseCodes); err != nil {
		return nil, err
	}
	for i := range ds.Applications {
		a := &ds.Applications[i]
		if err := idcard.ValidateNumber(a.Holder.IdNumber); err != nil {
			return nil, fmt.Errorf("seed application %s: %w", a.ID, err)
		}
		if a.PhotoFile == "" {
			continue
		}
		photo, err := os.ReadFile(filepath.Join(dir, a.PhotoFile))
		if err != nil {
			return nil, fmt.Errorf("seed application %s: %w", a.ID, err)
		}
		a.Photo = photo
	}
	return ds, nil
}

func readLines[T any](path string, out *[]T) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("seed file %s not found: regenerate it with `go run ./central/seed/gen`: %w", path, err)
		}
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s line %d: %w", path, line, err)
		}
		*out = append(*out, v)
	}
	return sc.Err()
}
