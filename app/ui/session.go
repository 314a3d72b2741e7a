package ui

import (
	"context"
	"errors"

	"permitdesk/app/operators"
)

// Login starts an operator session and returns the operator shown in the
// status bar. A new login replaces the current session.
func (a *App) Login(login, password string) (OperatorStatus, error) {
	if a.opts.Operators == nil {
		return OperatorStatus{}, errNoService("operators")
	}
	if login == "" || password == "" {
		return OperatorStatus{}, Errorf(CodeInvalidArgument, "login and password are both required")
	}
	sess, err := a.opts.Operators.Login(a.context(), login, password)
	if err != nil {
		// The operator service logs the login of a known account; this line
		// keeps a masked form, because the text may be a mistyped password.
		a.log.Warn("login failed", "login", operators.MaskLogin(login), "err", err)
		return OperatorStatus{}, toError(err)
	}
	a.mu.Lock()
	old := a.session
	a.session = sess
	a.mu.Unlock()
	if old != nil {
		a.endSession(old)
	}
	a.log.Info("operator logged in", "login", login, "role", sess.Operator.Role)
	a.publishStatus()
	return operatorStatus(sess), nil
}

// Logout ends the current session. Without one it does nothing.
func (a *App) Logout() error {
	a.mu.Lock()
	sess := a.session
	a.session = nil
	a.mu.Unlock()
	if sess == nil {
		return nil
	}
	a.endSession(sess)
	a.publishStatus()
	return nil
}

func (a *App) endSession(sess *operators.Session) {
	if err := a.opts.Operators.Logout(context.WithoutCancel(a.context()), sess); err != nil {
		a.log.Warn("logout failed", "login", sess.Operator.Login, "err", err)
	}
}

// currentSession returns the live session, refreshing its idle timer. An
// expired session is dropped and the status bar updated.
func (a *App) currentSession() (*operators.Session, error) {
	a.mu.Lock()
	sess := a.session
	a.mu.Unlock()
	if sess == nil || a.opts.Operators == nil {
		return nil, toError(operators.ErrNoSession)
	}
	live, err := a.opts.Operators.Session(a.context(), sess.ID)
	if err != nil {
		if errors.Is(err, operators.ErrSessionExpired) || errors.Is(err, operators.ErrNoSession) {
			a.mu.Lock()
			if a.session == sess {
				a.session = nil
			}
			a.mu.Unlock()
			a.publishStatus()
		}
		return nil, toError(err)
	}
	return live, nil
}

func (a *App) operator() OperatorStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.session == nil {
		return OperatorStatus{}
	}
	return operatorStatus(a.session)
}

func operatorStatus(s *operators.Session) OperatorStatus {
	return OperatorStatus{LoggedIn: true, Login: s.Operator.Login, Name: s.Operator.Name,
		Role: string(s.Operator.Role)}
}

func errNoService(name string) *Error {
	return Errorf(CodeUnavailable, "the %s service is not running in this window: check the log for its start-up error", name)
}
