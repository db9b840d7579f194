import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import PageLoader from '../common/PageLoader';
import { useSession } from './session';

export default function RequireAuth({ children }: { children: ReactNode }) {
  const status = useSession((s) => s.status);
  const location = useLocation();
  if (status === 'loading') return <PageLoader label="Restoring session" />;
  if (status === 'signedOut') {
    const next = location.pathname + location.search;
    const to = next && next !== '/' ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in';
    return <Navigate to={to} replace />;
  }
  return <>{children}</>;
}
