package diag

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"permitdesk/app/store"
)

var storageCheckIDs = []string{"storage.integrity", "storage.size", "storage.wal", "storage.backups"}

// BackupDirName is the folder under the data directory that holds backups.
const BackupDirName = "backups"

// checkStorage checks the database file on its own connection, without
// migrating it, so a damaged file is examined and never changed.
func (s *Service) checkStorage(ctx context.Context, full bool) []Check {
	l := checkList{device: "storage"}
	path := s.dbPath()
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		l.warn("storage.integrity", "no database at "+path,
			"start permitdesk once to create it, or check data_dir", nil)
		l.skipRest(storageCheckIDs, "no_database", "no database")
		return l.checks
	}
	if err != nil {
		l.fail("storage.integrity", "reading the database file failed: "+err.Error(),
			"check the permissions of data_dir", nil).variant("stat_failed")
		l.skipRest(storageCheckIDs, "no_database", "no database")
		return l.checks
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(5000)")
	if err == nil {
		defer db.Close()
	}
	s.checkIntegrity(ctx, &l, db, err, full)
	s.checkSize(ctx, &l, db, info.Size())
	s.checkWAL(&l, path)
	s.checkBackups(&l)
	return l.checks
}

func (s *Service) dbPath() string { return filepath.Join(s.opts.Config.DataDir, store.FileName) }

// restoreFix is the fix for a damaged database.
func (s *Service) restoreFix() string {
	return fmt.Sprintf("stop permitdesk, keep a copy of %s for the vendor, and copy the newest backup from %s "+
		"over it; without a backup, `sqlite3 %s .recover` rescues what is readable",
		s.dbPath(), filepath.Join(s.opts.Config.DataDir, BackupDirName), s.dbPath())
}

// checkIntegrity runs PRAGMA quick_check, or integrity_check when full is
// set, which also compares every index with its table.
func (s *Service) checkIntegrity(ctx context.Context, l *checkList, db *sql.DB, openErr error, full bool) {
	pragma := "quick_check"
	if full {
		pragma = "integrity_check"
	}
	d := map[string]string{"pragma": pragma}
	if openErr != nil {
		l.fail("storage.integrity", "opening the database failed: "+openErr.Error(), s.restoreFix(), d).
			variant("open_failed")
		return
	}
	problems, err := integrity(ctx, db, pragma)
	if err != nil {
		l.fail("storage.integrity", pragma+" failed: "+err.Error(), s.restoreFix(), d).variant("check_failed")
		return
	}
	if len(problems) > 0 {
		d["problems"] = strings.Join(problems, "; ")
		l.fail("storage.integrity", fmt.Sprintf("%s found %d problem(s): %s", pragma, len(problems), problems[0]),
			s.restoreFix(), d).variant("problems")
		return
	}
	l.pass("storage.integrity", pragma+" found no problems", d)
}

// integrity runs the pragma and returns the problems it lists, at most 20.
func integrity(ctx context.Context, db *sql.DB, pragma string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "PRAGMA "+pragma+"(20)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

func (s *Service) checkSize(ctx context.Context, l *checkList, db *sql.DB, fileSize int64) {
	d := map[string]string{"file_bytes": fmt.Sprint(fileSize)}
	if db == nil {
		l.skip("storage.size", "prerequisite", "the database cannot be opened")
		return
	}
	var pageSize, pages, free int64
	err := db.QueryRowContext(ctx, "SELECT page_size, page_count, freelist_count FROM pragma_page_size, "+
		"pragma_page_count, pragma_freelist_count").Scan(&pageSize, &pages, &free)
	if err != nil {
		l.fail("storage.size", "reading the page counts failed: "+err.Error(), s.restoreFix(), d)
		return
	}
	d["page_size"], d["pages"], d["free_pages"] = fmt.Sprint(pageSize), fmt.Sprint(pages), fmt.Sprint(free)
	l.pass("storage.size", fmt.Sprintf("%.1f MB in %d pages, %d free", float64(fileSize)/1e6, pages, free), d)
}

func (s *Service) checkWAL(l *checkList, path string) {
	info, err := os.Stat(path + "-wal")
	if err != nil {
		l.pass("storage.wal", "no write-ahead log: the database is checkpointed",
			map[string]string{"wal_bytes": "0"}).variant("none")
		return
	}
	d := map[string]string{"wal_bytes": fmt.Sprint(info.Size())}
	if info.Size() > s.opts.WALWarn {
		l.warn("storage.wal", fmt.Sprintf("the write-ahead log is %.1f MB", float64(info.Size())/1e6),
			"restart permitdesk: a long-running reader is holding back checkpoints", d)
		return
	}
	l.pass("storage.wal", fmt.Sprintf("write-ahead log %.1f MB", float64(info.Size())/1e6), d).variant("size")
}

// checkBackups looks at the newest file in the backups folder.
func (s *Service) checkBackups(l *checkList) {
	dir := filepath.Join(s.opts.Config.DataDir, BackupDirName)
	if _, err := os.Stat(dir); err != nil {
		l.skip("storage.backups", "no_folder", "no backups folder at "+dir+"; `permitdesk db backup` creates it")
		return
	}
	list, err := backups(dir)
	if err != nil || len(list) == 0 {
		l.warn("storage.backups", "no backup in "+dir, "make one with `permitdesk db backup`", nil).variant("none")
		return
	}
	newest := list[0]
	age := s.opts.Now().Sub(newest.ModTime())
	d := map[string]string{"newest": newest.Name(), "count": fmt.Sprint(len(list)),
		"age_hours": fmt.Sprintf("%.0f", age.Hours())}
	if age > s.opts.BackupStale {
		l.warn("storage.backups", fmt.Sprintf("the newest backup, %s, is %.0f days old", newest.Name(),
			age.Hours()/24), "make one with `permitdesk db backup`, and schedule it daily", d).variant("stale")
		return
	}
	l.pass("storage.backups", fmt.Sprintf("newest backup %s, %.0f hours old", newest.Name(), age.Hours()), d)
}

// backups lists the .db files in dir, newest first.
func backups(dir string) ([]os.FileInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []os.FileInfo
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && strings.HasSuffix(e.Name(), ".db") {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ModTime().After(out[j].ModTime()) })
	return out, nil
}

// ErrBackupExists means the backup file name is taken.
var ErrBackupExists = errors.New("backup file already exists")

// Backup writes a consistent copy of db to dir with VACUUM INTO, named
// permitdesk-YYYYMMDDTHHMMSSZ.db after now, and checks the copy with
// quick_check. It returns the copy's path. VACUUM INTO reads one snapshot,
// so the application may keep writing meanwhile.
func Backup(ctx context.Context, db *sql.DB, dir string, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create backup folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, "permitdesk-"+now.UTC().Format("20060102T150405Z")+".db")
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("%w: %s; wait a second and run the backup again", ErrBackupExists, path)
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return "", fmt.Errorf("back up the database to %s: %w", path, err)
	}
	copyDB, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return path, fmt.Errorf("open backup %s: %w", path, err)
	}
	defer copyDB.Close()
	problems, err := integrity(ctx, copyDB, "quick_check")
	if err == nil && len(problems) > 0 {
		err = errors.New(strings.Join(problems, "; "))
	}
	if err != nil {
		return path, fmt.Errorf("backup %s fails quick_check: %w; run `permitdesk diag --device storage --full`",
			path, err)
	}
	return path, nil
}
