package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/config"
	"permitdesk/app/store"
	appsync "permitdesk/app/sync"
	"permitdesk/devices"
	"permitdesk/devices/apdu"
	"permitdesk/devices/keys"
	"permitdesk/devices/pcsc"
	"permitdesk/devices/permitcard"
)

// cardFlags are shared by the card subcommands.
type cardFlags struct {
	reader  string
	keyFile string
	wait    time.Duration
}

// defaultCardWait bounds the wait for a card in the encoder when --wait is
// not given.
const defaultCardWait = 30 * time.Second

func newCardCmd(env *Env) *cobra.Command {
	var f cardFlags
	cmd := &cobra.Command{Use: "card", Short: "Permit card encoder: readers, status, dump, personalise and raw APDUs"}
	cmd.PersistentFlags().StringVar(&f.reader, "reader", "",
		"substring of the PC/SC reader name (default devices.encoder.name)")
	cmd.PersistentFlags().StringVar(&f.keyFile, "key-file", "",
		"development master-key file; overrides keys.source and keys.key_file")
	cmd.PersistentFlags().DurationVar(&f.wait, "wait", defaultCardWait,
		"how long to wait for a card in the encoder before failing, e.g. 30s or 2m (0: no limit)")
	cmd.AddCommand(newCardReadersCmd(env), newCardStatusCmd(env, &f), newCardDumpCmd(env, &f),
		newCardAPDUCmd(env, &f), newCardPersonaliseCmd(env, &f))
	return cmd
}

func newCardReadersCmd(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "readers",
		Short: "List the PC/SC readers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			names, err := pcsc.ListReaders(cmd.Context())
			if err != nil {
				return fmt.Errorf("%w: is pcscd running?", err)
			}
			if len(names) == 0 {
				fmt.Fprintln(env.Out, "no PC/SC readers")
			}
			for _, n := range names {
				fmt.Fprintln(env.Out, n)
			}
			return nil
		},
	}
}

// openEncoder builds the encoding service on the configured reader. keyed
// also opens the key source.
func openEncoder(ctx context.Context, env *Env, f *cardFlags, keyed bool) (*permitcard.Encoder, func(), error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, nil, err
	}
	log, err := env.Logger()
	if err != nil {
		return nil, nil, err
	}
	name, err := encoderName(cfg, f)
	if err != nil {
		return nil, nil, err
	}
	r, err := pcsc.Open(pcsc.Options{Reader: name, Logger: log, OnWaiting: waitingNotice(env)})
	if err != nil {
		return nil, nil, err
	}
	// A zero wait leaves the waiting to the encoder, as the issue command
	// needs: its card reaches the reader only when the printer feeds it.
	if f.wait != 0 {
		if err := waitForCard(ctx, r, name, f.wait); err != nil {
			r.Close()
			return nil, nil, err
		}
	}
	closers := []func(){func() { r.Close() }}
	done := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	opts := permitcard.Options{Reader: r, MaxAPDU: cfg.Devices.Encoder.MaxAPDU,
		Extended: cfg.Devices.Encoder.Extended, Logger: log}
	if keyed {
		kp, err := openKeys(ctx, cfg, f)
		if err != nil {
			done()
			return nil, nil, err
		}
		closers = append(closers, func() { kp.Close() })
		opts.Keys = kp
	}
	enc, err := permitcard.New(opts)
	if err != nil {
		done()
		return nil, nil, err
	}
	return enc, done, nil
}

// encoderName returns the reader substring from --reader or
// devices.encoder.name.
func encoderName(cfg config.Config, f *cardFlags) (string, error) {
	if f.reader != "" {
		return f.reader, nil
	}
	if cfg.Devices.Encoder.Name == "" {
		return "", fmt.Errorf("%w: no encoder reader: set devices.encoder.name or pass --reader "+
			"(see `permitdesk card readers`)", devices.ErrNotConfigured)
	}
	return cfg.Devices.Encoder.Name, nil
}

// waitingNotice prints one line to stderr when a command starts waiting for
// a card, so an empty reader does not look like a hung command.
func waitingNotice(env *Env) func(reader string) {
	return func(reader string) {
		fmt.Fprintf(env.ErrOut, "waiting for a card in %s (Ctrl-C to stop)\n", reader)
	}
}

// waitForCard waits up to wait for a card in r. When wait runs out it
// returns an error that names the reader and the fix. A cancelled ctx
// returns the reader's own error.
func waitForCard(ctx context.Context, r *pcsc.Reader, name string, wait time.Duration) error {
	if wait < 0 {
		return fmt.Errorf("invalid --wait %s: give a positive duration such as 30s, or 0 to wait without limit", wait)
	}
	if wait == 0 {
		_, err := r.WaitCard(ctx)
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	_, err := r.WaitCard(waitCtx)
	if err != nil && ctx.Err() == nil && errors.Is(waitCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no card in %s after %s: place a card, or check devices.encoder.name", name, wait)
	}
	return err
}

// psamWait bounds the wait for the key card in the PSAM reader.
const psamWait = 10 * time.Second

// OpenKeys opens the card-key source that the configuration names, as the
// card and rewrite commands do without --key-file. The desktop window opens
// it for each address change.
func OpenKeys(ctx context.Context, cfg config.Config) (keys.Provider, error) {
	return openKeys(ctx, cfg, &cardFlags{})
}

// openKeys opens the key source that the configuration or --key-file names.
func openKeys(ctx context.Context, cfg config.Config, f *cardFlags) (keys.Provider, error) {
	if f.keyFile != "" {
		return keys.LoadFile(f.keyFile)
	}
	if cfg.Keys.Source == "file" {
		return keys.LoadFile(cfg.Keys.KeyFile)
	}
	if cfg.Devices.PSAM.Name == "" {
		return nil, fmt.Errorf("%w: keys.source is psam but devices.psam.name is empty: set it, "+
			"or pass --key-file for development", devices.ErrNotConfigured)
	}
	r, err := pcsc.Open(pcsc.Options{Reader: cfg.Devices.PSAM.Name})
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, psamWait)
	defer cancel()
	card, err := r.Connect(wait)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("PSAM reader %q: %w (is the key card inserted, or `permitdesk sim psam` running?)",
			cfg.Devices.PSAM.Name, err)
	}
	return keys.NewPSAM(ctx, keys.PSAMOptions{Card: card, Close: func() error {
		card.Close()
		return r.Close()
	}})
}

func newCardStatusCmd(env *Env, f *cardFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print the card's ATR, serial and state (blank, incomplete, personalised)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc, done, err := openEncoder(cmd.Context(), env, f, false)
			if err != nil {
				return err
			}
			defer done()
			c, err := enc.Read(cmd.Context(), permitcard.ReadOptions{SkipPhoto: true})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Out, "atr     %s\nserial  %s\nlayout  %d\nstate   %s\n", c.ATR, c.Serial, c.LayoutVersion, c.State)
			if c.State != permitcard.StateBlank {
				fmt.Fprintf(env.Out, "permit  %s\nholder  %s\n", c.Data.Permit.Number, c.Data.Holder.Name)
			}
			return nil
		},
	}
}

func newCardDumpCmd(env *Env, f *cardFlags) *cobra.Command {
	var asJSON, noPhoto bool
	var photoOut string
	cmd := &cobra.Command{
		Use:   "dump",
		Short: "Read and decode every file of the card",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc, done, err := openEncoder(cmd.Context(), env, f, false)
			if err != nil {
				return err
			}
			defer done()
			c, err := enc.Read(cmd.Context(), permitcard.ReadOptions{SkipPhoto: noPhoto})
			if err != nil {
				return err
			}
			if photoOut != "" && len(c.Data.Photo) > 0 {
				if err := os.WriteFile(photoOut, c.Data.Photo, 0o644); err != nil {
					return err
				}
			}
			seal := sealStatus(cmd.Context(), env, c, noPhoto)
			if asJSON {
				e := json.NewEncoder(env.Out)
				e.SetIndent("", "  ")
				return e.Encode(struct {
					permitcard.Card
					SealStatus string `json:"sealStatus"`
				}{c, seal})
			}
			if err := printCard(env, c); err != nil {
				return err
			}
			if c.State != permitcard.StateBlank {
				fmt.Fprintf(env.Out, "seal check %s\n", seal)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the photo as base64)")
	cmd.Flags().BoolVar(&noPhoto, "no-photo", false, "skip reading the photo")
	cmd.Flags().StringVar(&photoOut, "photo-out", "", "write the photo JPEG to this file")
	return cmd
}

// sealStatus verifies the card's issuance seal with the station's trusted
// keys: the pinned central.seal_key_file, or the keys cached in the station
// database when one exists. It never contacts the central system.
func sealStatus(ctx context.Context, env *Env, c permitcard.Card, noPhoto bool) string {
	if noPhoto {
		return "not checked: the seal covers the photo, which --no-photo skipped"
	}
	keys, err := dumpSealKeys(ctx, env)
	if err != nil {
		return "not checked: " + err.Error()
	}
	if err := permitcard.VerifySeal(c.Data, keys); err != nil {
		return "FAILED: " + err.Error()
	}
	return "verified with key " + c.Data.Seal.KeyID
}

func dumpSealKeys(ctx context.Context, env *Env) (map[string]ed25519.PublicKey, error) {
	cfg, err := env.Config()
	if err != nil {
		return nil, err
	}
	if cfg.Central.SealKeyFile != "" {
		return appsync.PinnedSealKey(cfg.Central.SealKeyFile)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, store.FileName)); err != nil {
		return nil, fmt.Errorf("no trusted seal key: set central.seal_key_file, or sync the station "+
			"database in %s first", cfg.DataDir)
	}
	db, err := env.DB(ctx)
	if err != nil {
		return nil, err
	}
	svc, err := appsync.New(appsync.Options{DB: db, StationID: cfg.StationID})
	if err != nil {
		return nil, err
	}
	return svc.TrustedSealKeys(ctx)
}

func printCard(env *Env, c permitcard.Card) error {
	d := c.Data
	w := env.Out
	fmt.Fprintf(w, "serial     %s\natr        %s\nstate      %s\nsequence   %d\n", c.Serial, c.ATR, c.State, c.Sequence)
	if c.State == permitcard.StateBlank {
		return nil
	}
	fmt.Fprintf(w, "holder     %s sex %s %s born %s ID %s\n", d.Holder.Name, d.Holder.Sex, d.Holder.Ethnicity,
		d.Holder.BirthDate.Format("2006-01-02"), d.Holder.IDNumber)
	fmt.Fprintf(w, "hukou      %s\n", d.Holder.HukouAddress)
	fmt.Fprintf(w, "permit     %s by %s, valid %s to %s, issued %s at %s\n", d.Permit.Number, d.Permit.Authority,
		d.Permit.ValidFrom.Format("2006-01-02"), d.Permit.ValidTo.Format("2006-01-02"),
		d.Permit.IssuedAt.Format("2006-01-02 15:04:05Z"), d.Permit.StationID)
	fmt.Fprintf(w, "address    [%s] %s%s%s%s\n", d.Address.HouseCode, d.Address.District, d.Address.Street,
		d.Address.Community, d.Address.Detail)
	fmt.Fprintf(w, "photo      %d bytes\nseal       key %s, %d-byte signature\n", len(d.Photo), d.Seal.KeyID, len(d.Seal.Signature))
	for i, h := range c.History {
		fmt.Fprintf(w, "history %d  seq %d until %s: [%s] %s%s%s%s\n", i+1, h.Sequence, h.ChangedOn.Format("2006-01-02"),
			h.Address.HouseCode, h.Address.District, h.Address.Street, h.Address.Community, h.Address.Detail)
	}
	return nil
}

func newCardAPDUCmd(env *Env, f *cardFlags) *cobra.Command {
	var raw bool
	cmd := &cobra.Command{
		Use:   "apdu HEX...",
		Short: "Send command APDUs and print each response with its decoded status word",
		Long: "Send each argument as one command APDU, in order, on one connection. Bytes may be\n" +
			"separated by spaces or colons inside an argument. 61xx and 6Cxx are handled\n" +
			"(GET RESPONSE, re-send with Le) unless --raw is given.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runAPDUs(cmd.Context(), env, f, args, raw) },
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "no T=0 handling: print exactly what the card returned")
	return cmd
}

func runAPDUs(ctx context.Context, env *Env, f *cardFlags, args []string, raw bool) error {
	cmds, err := parseAPDUArgs(args)
	if err != nil {
		return err
	}
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	name, err := encoderName(cfg, f)
	if err != nil {
		return err
	}
	r, err := pcsc.Open(pcsc.Options{Reader: name, OnWaiting: waitingNotice(env)})
	if err != nil {
		return err
	}
	defer r.Close()
	if err := waitForCard(ctx, r, name, f.wait); err != nil {
		return err
	}
	card, err := r.Connect(ctx)
	if err != nil {
		return err
	}
	defer card.Close()
	x := apdu.NewExchanger(card, apdu.ExchangeOptions{Extended: cfg.Devices.Encoder.Extended})
	for _, b := range cmds {
		if err := sendOne(ctx, env, card, x, b, raw); err != nil {
			return err
		}
	}
	return nil
}

// parseAPDUArgs decodes every argument before any reader is opened, so a
// typing mistake fails at once instead of after the wait for a card.
func parseAPDUArgs(args []string) ([][]byte, error) {
	cmds := make([][]byte, 0, len(args))
	for i, a := range args {
		b, err := apdu.ParseHex(a)
		if err != nil {
			return nil, fmt.Errorf("APDU argument %d: %w", i+1, err)
		}
		cmds = append(cmds, b)
	}
	return cmds, nil
}

func sendOne(ctx context.Context, env *Env, card *pcsc.Card, x *apdu.Exchanger, b []byte, raw bool) error {
	fmt.Fprintf(env.Out, "> %X\n", b)
	var rsp apdu.Response
	if raw {
		out, err := card.Transmit(ctx, b)
		if err != nil {
			return err
		}
		rsp, err = apdu.ParseResponse(out)
		if err != nil {
			return err
		}
	} else {
		c, _, err := apdu.ParseCommand(b)
		if err != nil {
			return fmt.Errorf("command %X: %w", b, err)
		}
		if rsp, err = x.Exchange(ctx, c); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Out, "< %X %s (%s)\n", rsp.Data, rsp.SW, rsp.SW.Meaning())
	return nil
}

func newCardPersonaliseCmd(env *Env, f *cardFlags) *cobra.Command {
	var dataFile, photoFile string
	cmd := &cobra.Command{
		Use:   "personalise",
		Short: "Write card data from a JSON file to the blank card in the encoder",
		Long: "Write the card data in --data (the JSON form that `card dump --json` prints under\n" +
			"\"data\") to the blank card, verify it by reading it back, and print the serial.\n" +
			"For development and diagnostics; issuance does this as part of a job.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := loadCardData(dataFile, photoFile)
			if err != nil {
				return err
			}
			enc, done, err := openEncoder(cmd.Context(), env, f, true)
			if err != nil {
				return err
			}
			defer done()
			serial, err := enc.Personalise(cmd.Context(), d)
			if err != nil {
				return err
			}
			t := enc.Traffic()
			fmt.Fprintf(env.Out, "personalised card %s (%d APDUs, %d bytes sent, %d received)\n",
				serial, t.APDUs, t.BytesSent, t.BytesRecv)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataFile, "data", "", "card data JSON file (required)")
	cmd.Flags().StringVar(&photoFile, "photo", "", "JPEG file; replaces the photo in the JSON")
	_ = cmd.MarkFlagRequired("data")
	return cmd
}

func loadCardData(dataFile, photoFile string) (permitcard.CardData, error) {
	var d permitcard.CardData
	b, err := os.ReadFile(dataFile)
	if err != nil {
		return d, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("card data %s: %w", dataFile, err)
	}
	if photoFile != "" {
		if d.Photo, err = os.ReadFile(photoFile); err != nil {
			return d, err
		}
	}
	if d.Permit.Number == "" {
		return d, errors.New("card data " + dataFile + " has no permit.number: is it a card data file?")
	}
	return d, nil
}
