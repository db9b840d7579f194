import Box from '@mui/material/Box';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import type { Span, SpanKind } from '../api/types';
import { formatDuration, formatNumber } from '../common/format';
import { buildTimeline } from './trace';

const LABEL_WIDTH = 300;

/** Where a bar's duration goes: after the bar, else before it, else inside it (a long bar). */
function labelPlace(left: number, width: number, onBar: string) {
  if (left + width <= 85) return { left: `calc(${left + width}% + 4px)`, color: 'text.secondary' };
  if (left >= 15) return { right: `calc(${100 - left}% + 4px)`, color: 'text.secondary' };
  return { left: `calc(${left}% + 6px)`, color: onBar, fontWeight: 500 };
}

export default function TraceTimeline({ spans }: { spans: Span[] }) {
  const theme = useTheme();
  const colors: Record<SpanKind, string> = {
    flow: theme.palette.grey[800],
    step: theme.palette.grey[700],
    crew: theme.palette.grey[600],
    task: theme.palette.secondary.main,
    agent: theme.palette.primary.main,
    llm: theme.palette.info.main,
    tool: theme.palette.warning.main,
  };
  const { rows, totalMs } = buildTimeline(spans);
  if (rows.length === 0)
    return (
      <Typography variant="body2" color="text.secondary">
        No trace yet.
      </Typography>
    );
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <Box role="table" aria-label="Trace timeline" data-testid="trace-timeline" sx={{ fontSize: 12 }}>
      <Box role="row" sx={{ display: 'flex', borderBottom: 1, borderColor: 'divider', pb: 0.5, mb: 0.5 }}>
        <Box role="columnheader" sx={{ width: LABEL_WIDTH, flexShrink: 0, fontWeight: 600 }}>
          Span
        </Box>
        <Box role="columnheader" sx={{ flex: 1, position: 'relative', height: 16 }}>
          {ticks.map((t) => (
            <Box
              key={t}
              sx={{
                position: 'absolute',
                left: `${t * 100}%`,
                transform: t === 1 ? 'translateX(-100%)' : t > 0 ? 'translateX(-50%)' : undefined,
                color: 'text.secondary',
                whiteSpace: 'nowrap',
              }}
            >
              {formatDuration(totalMs * t)}
            </Box>
          ))}
        </Box>
      </Box>
      <Box sx={{ display: 'flex', gap: 2, mb: 1, flexWrap: 'wrap' }} aria-label="Legend">
        {(Object.keys(colors) as SpanKind[]).map((k) => (
          <Box key={k} sx={{ display: 'flex', alignItems: 'center', gap: 0.5 }}>
            <Box sx={{ width: 10, height: 10, bgcolor: colors[k], borderRadius: 0.5 }} />
            {k}
          </Box>
        ))}
      </Box>
      {rows.map(({ span, depth, offset, length }) => {
        const left = (offset / totalMs) * 100;
        const width = Math.max(0.3, (length / totalMs) * 100);
        const failed = span.status === 'failed';
        const detail = `${span.kind} · ${span.name} · ${formatDuration(span.duration_ms ?? length)}${span.tokens ? ` · ${formatNumber(span.tokens)} tokens` : ''} · ${span.status}`;
        return (
          <Box role="row" key={span.id} data-kind={span.kind} sx={{ display: 'flex', alignItems: 'center', height: 24, '&:hover': { bgcolor: 'action.hover' } }}>
            <Box role="cell" sx={{ width: LABEL_WIDTH, flexShrink: 0, pl: depth * 1.5, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }} title={span.name}>
              <Box component="span" sx={{ color: colors[span.kind], fontWeight: 600, mr: 0.5 }}>
                {span.kind}
              </Box>
              {span.name}
            </Box>
            <Box role="cell" sx={{ flex: 1, position: 'relative', height: '100%' }}>
              <Tooltip title={detail}>
                <Box
                  aria-label={detail}
                  sx={{
                    position: 'absolute',
                    top: 4,
                    bottom: 4,
                    left: `${left}%`,
                    width: `${width}%`,
                    bgcolor: colors[span.kind],
                    opacity: span.end ? 0.9 : 0.5,
                    borderRadius: 0.5,
                    outline: failed ? `2px solid ${theme.palette.error.main}` : undefined,
                  }}
                />
              </Tooltip>
              <Box sx={{ position: 'absolute', top: 4, whiteSpace: 'nowrap', pointerEvents: 'none', ...labelPlace(left, width, theme.palette.getContrastText(colors[span.kind])) }}>
                {formatDuration(span.duration_ms ?? length)}
                {span.tokens ? ` · ${formatNumber(span.tokens)} tok` : ''}
              </Box>
            </Box>
          </Box>
        );
      })}
    </Box>
  );
}
