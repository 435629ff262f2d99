import { useEffect, useState } from 'preact/hooks'
import { errorText, login, type Session } from '../api'
import { enterView, markReady } from '../ui'

export function Login({ onLogin }: { onLogin: (s: Session) => void }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    enterView('login', 'login')
    markReady('login')
  }, [])

  async function submit(e: Event) {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      onLogin(await login(username, password))
    } catch (err) {
      setError(errorText(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="login-page">
      <form class="login" onSubmit={submit} data-testid="login-form">
        <h1>
          <span class="logo">◆</span> wasmflow
        </h1>
        <label>
          User name
          <input
            name="username"
            autocomplete="username"
            autofocus
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
            data-testid="login-username"
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            data-testid="login-password"
          />
        </label>
        {error && (
          <div class="error" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          <code>wasmflow standalone</code> prints the admin password on its first start;{' '}
          <code>wasmflow users create</code> adds users.
        </p>
      </form>
    </div>
  )
}
