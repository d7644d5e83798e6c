/**
 * The Tollgate console: support staff read any contract's live state; finance acts. A single page,
 * served by the gateway at `/` (docs/console.md). The shell holds no data: everything comes from
 * the public API with the key entered here (kept in sessionStorage, sent as a Bearer token).
 */
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, forgetKey, get, storedKey, storeKey } from './api';
import { ErrorBanner } from './components/ErrorBanner';
import { ContractPage } from './pages/ContractPage';
import { ContractsPage } from './pages/ContractsPage';
import { FinancePage } from './pages/FinancePage';
import { TemplatePage } from './pages/TemplatePage';
import { TemplatesPage } from './pages/TemplatesPage';
import { href, useRoute } from './router';
import { SessionContext, sessionOf } from './session';
import type { Me } from './types';
import './styles.css';

function SignIn({ onSignedIn, error }: { onSignedIn: (key: string) => void; error: Error | undefined }) {
  const [key, setKey] = useState('');
  return (
    <main className="signin">
      <h1>Tollgate console</h1>
      <p>Enter your API key. It stays in this browser tab only (session storage) and is sent with every call to the API.</p>
      <form onSubmit={(e) => { e.preventDefault(); onSignedIn(key.trim()); }}>
        <label>API key
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} data-testid="api-key-input" autoFocus />
        </label>
        <button type="submit" data-testid="api-key-submit">Sign in</button>
      </form>
      <p className="muted">A gateway running without keys (local development) accepts an empty key.</p>
      <ErrorBanner error={error} what="Signing in" />
    </main>
  );
}

function App() {
  const route = useRoute();
  const [key, setKey] = useState<string | null>(() => storedKey());
  const [me, setMe] = useState<Me | undefined>();
  const [meError, setMeError] = useState<Error | undefined>();
  const [signInError, setSignInError] = useState<Error | undefined>();

  useEffect(() => {
    if (key === null) return;
    setMe(undefined);
    setMeError(undefined);
    get<Me>('/me').then(setMe, (err: Error) => {
      if (err instanceof ApiError && err.status === 401) {
        // A wrong or revoked key: back to the sign-in form, saying why.
        forgetKey();
        setKey(null);
        setSignInError(err);
      } else {
        setMeError(err);
      }
    });
  }, [key]);

  const signIn = useCallback((k: string) => {
    setSignInError(undefined);
    storeKey(k);
    setKey(k);
  }, []);
  const signOut = useCallback(() => {
    forgetKey();
    setKey(null);
    setMe(undefined);
  }, []);

  if (key === null) return <SignIn onSignedIn={signIn} error={signInError} />;

  const page = route.path[0] ?? 'contracts';
  return (
    <SessionContext.Provider value={sessionOf(me)}>
      <header className="topbar">
        <a className="brand" href={href(['contracts'])}>Tollgate</a>
        <nav>
          <a href={href(['contracts'])} className={page === 'contracts' ? 'active' : ''} data-testid="nav-contracts">Contracts</a>
          <a href={href(['templates'])} className={page === 'templates' ? 'active' : ''} data-testid="nav-templates">Templates</a>
          <a href={href(['finance'])} className={page === 'finance' ? 'active' : ''} data-testid="nav-finance">Finance</a>
        </nav>
        <span className="whoami" data-testid="whoami">
          {me ? (
            <>
              <strong>{me.name}</strong> · <span data-testid="whoami-role">{me.role}</span>
              {me.customerId && <> · customer {me.customerId}</>}
              {!me.permissions.includes('manage') && <span className="tag">read only</span>}
            </>
          ) : meError ? 'unknown key' : '…'}
        </span>
        <button className="link" onClick={signOut} data-testid="sign-out">Sign out</button>
      </header>
      <ErrorBanner error={meError} what="Asking who this key is (GET /me) — actions are hidden until it answers" />
      <main className="content">
        {page === 'finance' ? (
          <FinancePage params={route.params} />
        ) : page === 'templates' ? (
          route.path[1] ? <TemplatePage name={route.path[1]} params={route.params} /> : <TemplatesPage />
        ) : route.path[1] ? (
          <ContractPage contractId={route.path[1]} />
        ) : (
          <ContractsPage params={route.params} />
        )}
      </main>
    </SessionContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
