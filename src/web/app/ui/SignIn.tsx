import { useMutation } from '@apollo/client/react';
import { type FormEvent, useId, useState } from 'react';
import { signOutReason } from '../client';
import { Login, Register } from '../operations';
import { session } from '../session';
import { errorText } from './hooks';

export function SignIn() {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [login, loginState] = useMutation(Login);
  const [register, registerState] = useMutation(Register);
  const ids = { username: useId(), password: useId(), displayName: useId() };
  const busy = loginState.loading || registerState.loading;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      if (mode === 'login') {
        const { data } = await login({ variables: { input: { username, password } } });
        if (data) session.signedIn(data.login);
      } else {
        const { data } = await register({ variables: { input: { username, password, displayName: displayName || username } } });
        if (data) session.signedIn(data.register);
      }
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <main className="sign-in">
      <h1>Payamak</h1>
      {signOutReason ? (
        <p className="notice" role="status">
          {signOutReason}
        </p>
      ) : null}
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">{mode === 'login' ? 'Sign in' : 'Create an account'}</h2>
        <label htmlFor={ids.username}>Username</label>
        <input id={ids.username} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
        {mode === 'register' ? (
          <>
            <label htmlFor={ids.displayName}>Display name</label>
            <input id={ids.displayName} value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="name" />
          </>
        ) : null}
        <label htmlFor={ids.password}>Password</label>
        <input
          id={ids.password}
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
          required
        />
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'login' ? 'Sign in' : 'Create account'}
        </button>
      </form>
      <button type="button" className="link" onClick={() => setMode(mode === 'login' ? 'register' : 'login')}>
        {mode === 'login' ? 'New here? Create an account' : 'Have an account? Sign in'}
      </button>
    </main>
  );
}
