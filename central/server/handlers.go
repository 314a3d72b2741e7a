package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"permitdesk/central/api"
)

func (s *Server) getTime(w http.ResponseWriter, _ *http.Request, station string) {
	env := s.envelope()
	s.writeJSON(w, http.StatusOK, api.TimeResponse{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq, StationId: station})
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, station string) {
	after, limit, err := cursor(r)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	photos := true
	if v := r.URL.Query().Get("photos"); v != "" {
		if photos, err = strconv.ParseBool(v); err != nil {
			s.fail(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("photos=%q is not a boolean: use true or false", v))
			return
		}
	}
	env := s.envelope()
	items, more, err := s.o.Store.Applications(r.Context(), station, after, limit, photos)
	if err != nil {
		s.failStore(w, err)
		return
	}
	next := nextCursor(after, func() int64 { return items[len(items)-1].Seq }, len(items))
	s.writeJSON(w, http.StatusOK, api.ApplicationPage{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq,
		Items: nonNil(items), Next: next, More: more})
}

func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}

func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request, station string) {
	photo, err := s.o.Store.Photo(r.Context(), station, r.PathValue("id"))
	if err != nil {
		s.failStore(w, err)
		return
	}
	env := s.envelope()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("X-Server-Time", env.ServerTime.Format("2006-01-02T15:04:05.999999999Z07:00"))
	w.Header().Set("X-Server-Seq", strconv.FormatInt(env.ServerSeq, 10))
	w.Write(photo)
}

func (s *Server) listRevocations(w http.ResponseWriter, r *http.Request, _ string) {
	after, limit, err := cursor(r)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	env := s.envelope()
	items, more, err := s.o.Store.Revocations(r.Context(), after, limit)
	if err != nil {
		s.failStore(w, err)
		return
	}
	next := nextCursor(after, func() int64 { return items[len(items)-1].Seq }, len(items))
	s.writeJSON(w, http.StatusOK, api.RevocationPage{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq,
		Items: nonNil(items), Next: next, More: more})
}

func (s *Server) getPermitStatus(w http.ResponseWriter, r *http.Request, _ string) {
	number := r.PathValue("number")
	known, rev, err := s.o.Store.PermitStatus(r.Context(), number)
	if err != nil {
		s.failStore(w, err)
		return
	}
	env := s.envelope()
	s.writeJSON(w, http.StatusOK, api.PermitStatusResponse{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq,
		PermitNumber: number, Known: known, Revoked: rev != nil, Revocation: rev})
}

func (s *Server) getHouseCode(w http.ResponseWriter, r *http.Request, _ string) {
	h, err := s.o.Store.HouseCode(r.Context(), r.PathValue("code"))
	if err != nil {
		s.failStore(w, err)
		return
	}
	env := s.envelope()
	s.writeJSON(w, http.StatusOK, api.HouseCodeResponse{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq, HouseCode: h})
}

func (s *Server) listHouseCodeChanges(w http.ResponseWriter, r *http.Request, _ string) {
	after, limit, err := cursor(r)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	env := s.envelope()
	items, more, err := s.o.Store.HouseCodeChanges(r.Context(), after, limit)
	if err != nil {
		s.failStore(w, err)
		return
	}
	next := nextCursor(after, func() int64 { return items[len(items)-1].Seq }, len(items))
	s.writeJSON(w, http.StatusOK, api.HouseCodePage{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq,
		Items: nonNil(items), Next: next, More: more})
}

// listSealKeys returns the public keys of the store's issuance seals.
func (s *Server) listSealKeys(w http.ResponseWriter, _ *http.Request, _ string) {
	env := s.envelope()
	s.writeJSON(w, http.StatusOK, api.SealKeyList{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq,
		Keys: s.o.Store.SealKeys()})
}

// maxBatch is the largest number of records one request may carry.
const maxBatch = 500

func (s *Server) pushRecords(w http.ResponseWriter, r *http.Request, station string) {
	var batch api.RecordBatch
	body := http.MaxBytesReader(w, r.Body, s.o.MaxRequestBytes)
	if err := json.NewDecoder(body).Decode(&batch); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.fail(w, http.StatusRequestEntityTooLarge, "too_large",
				fmt.Sprintf("request body exceeds %d bytes: send fewer records per batch", tooBig.Limit))
			return
		}
		s.fail(w, http.StatusBadRequest, "bad_request", "request body is not a record batch: "+err.Error())
		return
	}
	if n := len(batch.Records); n == 0 || n > maxBatch {
		s.fail(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("a batch carries 1 to %d records, this one %d", maxBatch, n))
		return
	}
	results, err := s.o.Store.PushRecords(r.Context(), station, batch.Records, s.partialSkip())
	if err != nil {
		s.failStore(w, err)
		return
	}
	s.countResults(results)
	env := s.envelope()
	s.writeJSON(w, http.StatusOK, api.RecordResults{ServerTime: env.ServerTime, ServerSeq: env.ServerSeq, Results: results})
}

func (s *Server) partialSkip() func(int) bool {
	s.mu.Lock()
	rate := s.inj.f.PartialRate
	s.mu.Unlock()
	if rate == 0 {
		return nil
	}
	return func(int) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.inj.rng.Float64() < rate
	}
}

func (s *Server) countResults(results []api.RecordResult) {
	s.count(func(st *Stats) {
		st.Batches++
		for _, r := range results {
			switch r.Status {
			case api.StatusAccepted:
				st.Accepted++
			case api.StatusDuplicate:
				st.Duplicates++
			case api.StatusConflict:
				st.Conflicts++
			case api.StatusRejected:
				st.Rejected++
			case api.StatusRetry:
				st.Retry++
			}
			if r.Status != api.StatusRetry {
				st.RecordsDecided++
			}
		}
	})
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request, _ string) {
	s.writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) putFaults(w http.ResponseWriter, r *http.Request, name string) {
	var f Faults
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&f); err != nil {
		s.fail(w, http.StatusBadRequest, "bad_request", "body is not a fault setting: "+err.Error())
		return
	}
	if err := s.SetFaults(f); err != nil {
		s.fail(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	s.log.Info("faults changed", "by", name)
	s.writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) getStats(w http.ResponseWriter, _ *http.Request, _ string) {
	s.writeJSON(w, http.StatusOK, s.Stats())
}
