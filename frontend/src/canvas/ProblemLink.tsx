import Link from '@mui/material/Link';
import type { SxProps, Theme } from '@mui/material/styles';
import { Link as RouterLink } from 'react-router';
import { problemLink } from './problems';

/** The place where the user fixes a problem (e.g. Settings › API keys), for codes that have one. */
export default function ProblemLink({ code, sx }: { code: string; sx?: SxProps<Theme> }) {
  const link = problemLink(code);
  if (!link) return null;
  return (
    <Link component={RouterLink} to={link.to} variant="caption" sx={[{ whiteSpace: 'nowrap' }, ...(Array.isArray(sx) ? sx : [sx])]}>
      {link.label}
    </Link>
  );
}
