package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"permitdesk/app/config"
	"permitdesk/app/logging"
	"permitdesk/devices"
	"permitdesk/devices/ga467"
	"permitdesk/devices/hidio"
	"permitdesk/devices/idcard"
	"permitdesk/devices/idreader"
	"permitdesk/devices/serialport"
)

func newIDCardCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "idcard", Short: "Read national ID cards on the ID card reader"}
	var asJSON, fingerprint bool
	var wait time.Duration
	var photo string
	read := &cobra.Command{
		Use:   "read",
		Short: "Read the ID card on the reader and print the holder's identity",
		Long: "Read the card on the ID card reader configured in [devices.idreader]: find, select,\n" +
			"and read the text and the WLT photo. Every field is checked (ID number check\n" +
			"character, dates, codes); a bad field is an error naming it, not output.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return readIDCard(cmd.Context(), env, idCardReadFlags{asJSON, fingerprint, wait, photo})
		},
	}
	fl := read.Flags()
	fl.BoolVar(&asJSON, "json", false, "print the identity, photo and fingerprint as JSON (binary blocks in base64)")
	fl.BoolVar(&fingerprint, "fingerprint", false, "also read the fingerprint block (command 30 10)")
	fl.DurationVar(&wait, "wait", 0, "wait up to this long for a card to be placed; 0 reads once")
	fl.StringVar(&photo, "photo", "", "write the raw WLT photo to this file")
	cmd.AddCommand(read)
	return cmd
}

type idCardReadFlags struct {
	asJSON, fingerprint bool
	wait                time.Duration
	photo               string
}

func readIDCard(ctx context.Context, env *Env, f idCardReadFlags) error {
	cfg, err := env.Config()
	if err != nil {
		return err
	}
	log, err := env.Logger()
	if err != nil {
		return err
	}

	r, err := openIDReader(cfg.Devices.IDReader)
	if err != nil {
		return &ExitError{Code: 1, Message: "idcard read: " + err.Error()}
	}
	defer r.Close()
	rec, err := readRecord(ctx, r, f)
	if err != nil {
		// The error is printed below, so the log line is for debugging only.
		log.Debug("ID card read failed", "err", maskedError(err))
		return &ExitError{Code: 1, Message: "idcard read: " + idReadMessage(err, f.wait)}
	}
	log.Info("ID card read", "id_number", logging.MaskID(rec.Identity.Number),
		"card_type", string(rec.Identity.CardType))

	if f.photo != "" {
		if err := os.WriteFile(f.photo, rec.Photo, 0o600); err != nil {
			return fmt.Errorf("write photo: %w", err)
		}
	}
	if f.asJSON {
		enc := json.NewEncoder(env.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rec)
	}
	return printIdentity(env.Out, rec)
}

func readRecord(ctx context.Context, r *idreader.Reader, f idCardReadFlags) (ga467.Record, error) {
	if f.wait <= 0 {
		return r.Read(ctx, f.fingerprint)
	}
	ctx, cancel := context.WithTimeout(ctx, f.wait)
	defer cancel()
	return r.WaitRead(ctx, 300*time.Millisecond, f.fingerprint)
}

// openIDReader opens the reader the configuration names.
func openIDReader(c config.IDReader) (*idreader.Reader, error) {
	opts := idreader.Options{Name: "idreader", Timeout: c.Timeout.Duration}
	if c.Transport == "hid" {
		filter, err := hidFilter(c.HID, "devices.idreader.hid")
		if err != nil {
			return nil, err
		}
		return idreader.OpenHID(hidio.USB{}, filter, opts)
	}
	if c.Port == "" && c.USBSerial == "" {
		return nil, fmt.Errorf("no ID card reader configured: set devices.idreader.port (for the emulator, "+
			"the --link path of `permitdesk sim idreader`) or usb_serial: %w", devices.ErrNotConfigured)
	}
	return idreader.OpenSerial(serialport.Options{Path: c.Port, USBSerial: c.USBSerial, Baud: c.Baud,
		FlowControl: c.FlowControl}, opts)
}

// hidFilter converts a configured HID device to a filter.
func hidFilter(h config.HIDDevice, field string) (hidio.Filter, error) {
	if h.VendorID == "" {
		return hidio.Filter{}, fmt.Errorf("no HID device configured: set %s.vendor_id and product_id: %w",
			field, devices.ErrNotConfigured)
	}
	vid, err := strconv.ParseUint(h.VendorID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("%s.vendor_id %q is not a hexadecimal id such as 0400", field, h.VendorID)
	}
	pid, err := strconv.ParseUint(h.ProductID, 16, 16)
	if err != nil {
		return hidio.Filter{}, fmt.Errorf("%s.product_id %q is not a hexadecimal id such as c35a", field, h.ProductID)
	}
	return hidio.Filter{VendorID: uint16(vid), ProductID: uint16(pid), Serial: h.Serial}, nil
}

// maskedError returns err's text with an invalid ID number masked, for logs.
func maskedError(err error) string {
	msg := err.Error()
	var fe *idcard.FieldError
	if errors.As(err, &fe) && fe.Field == "idNumber" && fe.Value != "" {
		msg = strings.ReplaceAll(msg, fe.Value, logging.MaskID(fe.Value))
	}
	return msg
}

// idReadMessage returns the operator's message for a failed read. A --wait
// that ended while the reader kept reporting no card is not a reader fault.
func idReadMessage(err error, wait time.Duration) string {
	var de *devices.Error
	if wait > 0 && errors.As(err, &de) && de.Code == idreader.CodeNoCard {
		return fmt.Sprintf("no ID card on the reader after %s: place the card on the reader", wait)
	}
	return err.Error() + idReaderHint(err)
}

// idReaderHint returns advice for the operator about a failed read.
func idReaderHint(err error) string {
	var de *devices.Error
	if !errors.As(err, &de) {
		return ""
	}
	switch de.Code {
	case idreader.CodeNoCard:
		return "\nor use --wait 30s to wait for the card"
	case idreader.CodeBadFrame:
		return "\nthe reader sent a damaged frame: check the cable and devices.idreader.baud; if it persists, replace the reader"
	case idreader.CodeTimeout:
		return "\nthe reader did not answer: check that it is powered and that devices.idreader.port is the reader's port"
	case idreader.CodeBadField:
		return "\nthe card holds an invalid field: do not accept it; ask for another identity document"
	case idreader.CodeUnsupported:
		return "\nthis card type cannot be read here"
	}
	return ""
}

func printIdentity(w io.Writer, rec ga467.Record) error {
	id := rec.Identity
	validTo := id.ValidTo.String()
	if id.LongTerm {
		validTo = "长期 (long term)"
	}
	if id.Expired(idcard.DateOf(time.Now())) {
		validTo += " (expired)"
	}
	rows := [][2]string{
		{"card type", string(id.CardType)},
		{"name", id.Name},
	}
	if id.EnglishName != "" {
		rows = append(rows, [2]string{"English name", id.EnglishName})
	}
	rows = append(rows, [2]string{"sex", id.Sex.Label() + " (" + string(id.Sex) + ")"})
	if id.CardType == idcard.ForeignPermanent {
		rows = append(rows, [2]string{"nationality", id.Nationality})
	} else {
		rows = append(rows, [2]string{"ethnicity", id.EthnicityName + " (" + id.Ethnicity + ")"},
			[2]string{"address", id.Address})
	}
	rows = append(rows,
		[2]string{"birth date", id.BirthDate.String()},
		[2]string{"ID number", id.Number},
		[2]string{"authority", id.Authority},
		[2]string{"valid", id.ValidFrom.String() + " to " + validTo},
		[2]string{"photo", fmt.Sprintf("%d bytes WLT", len(rec.Photo))},
		[2]string{"fingerprint", fmt.Sprintf("%d bytes", len(rec.Fingerprint))},
	)
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "%-13s %s\n", r[0]+":", r[1]); err != nil {
			return err
		}
	}
	return nil
}
