import Search from '@mui/icons-material/Search';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import { knowledgeApi } from '../api/endpoints';
import type { KnowledgeHit } from '../api/types';
import { sourceLabel } from '../run/events';

const K = 5;

/** Ask the base a question, as an agent's knowledge_search would: the nearest chunks, each
 * with its score and source. */
export default function SearchBox({ baseId }: { baseId: string }) {
  const [query, setQuery] = useState('');
  const search = useMutation({ mutationFn: (q: string) => knowledgeApi.search(baseId, q, K) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (query.trim()) search.mutate(query.trim());
  };
  return (
    <Box>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        Test a question
      </Typography>
      <Box component="form" role="search" onSubmit={submit} sx={{ display: 'flex', gap: 1, mb: 1 }}>
        <TextField size="small" label="Question" value={query} onChange={(e) => setQuery(e.target.value)} sx={{ flex: 1 }} />
        <Button type="submit" variant="contained" startIcon={<Search />} disabled={!query.trim() || search.isPending}>
          Search
        </Button>
      </Box>
      {search.error && (
        <Typography color="error" role="alert">
          {errorMessage(search.error)}
        </Typography>
      )}
      {search.data?.length === 0 && <Typography color="text.secondary">Nothing found: the base has no ready files yet.</Typography>}
      <Box sx={{ display: 'flex', flexDirection: 'column', gap: 1 }} aria-label="Search results">
        {search.data?.map((hit: KnowledgeHit) => (
          <Card key={`${hit.file_id}-${hit.chunk}`} variant="outlined" data-testid="search-hit">
            <CardContent sx={{ py: 1, '&:last-child': { pb: 1 } }}>
              <Typography variant="caption" color="primary">
                {sourceLabel({ file: hit.file_name, page: hit.page, section: hit.section, score: hit.score })}
              </Typography>
              <Typography variant="body2" sx={{ whiteSpace: 'pre-wrap' }}>
                {hit.text}
              </Typography>
            </CardContent>
          </Card>
        ))}
      </Box>
    </Box>
  );
}
