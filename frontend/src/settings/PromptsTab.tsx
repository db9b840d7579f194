/** The prompt templates of "crew from a sentence": the group's own text, or the shipped default. */
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../api/client';
import { templatesApi } from '../api/endpoints';
import { keys, usePermissions } from '../api/hooks';
import type { PromptTemplate } from '../api/types';
import { notify } from '../common/notify';
import PageLoader from '../common/PageLoader';

function TemplateCard({ template, readOnly }: { template: PromptTemplate; readOnly: boolean }) {
  const qc = useQueryClient();
  const [text, setText] = useState(template.content);
  const done = (saved: PromptTemplate, message: string) => {
    setText(saved.content);
    void qc.invalidateQueries({ queryKey: keys.templates });
    notify(message, 'success');
  };
  const save = useMutation({
    mutationFn: () => templatesApi.save(template.key, text),
    onSuccess: (saved) => done(saved, 'Template saved'),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  const reset = useMutation({
    mutationFn: () => templatesApi.reset(template.key),
    onSuccess: (saved) => done(saved, 'Template reset to the default'),
    onError: (e) => notify(errorMessage(e), 'error'),
  });
  return (
    <Paper variant="outlined" sx={{ p: 2 }} component="section" aria-label={template.key}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, mb: 0.5 }}>
        <Typography variant="subtitle1" component="h2" sx={{ fontFamily: 'monospace' }}>
          {template.key}
        </Typography>
        {template.overridden && <Chip size="small" color="info" label="Changed for this group" />}
      </Box>
      <Typography variant="body2" color="text.secondary" gutterBottom>
        {template.description}
        {template.variables.length > 0 && ` Variables: ${template.variables.map((v) => `{{${v}}}`).join(', ')}.`}
      </Typography>
      <TextField
        label="Text"
        value={text}
        onChange={(e) => setText(e.target.value)}
        multiline
        minRows={3}
        maxRows={16}
        fullWidth
        disabled={readOnly}
        slotProps={{ htmlInput: { style: { fontFamily: 'monospace', fontSize: 13 } } }}
      />
      {!readOnly && (
        <Box sx={{ display: 'flex', gap: 1, justifyContent: 'flex-end', mt: 1 }}>
          <Button onClick={() => reset.mutate()} disabled={!template.overridden || reset.isPending}>
            Reset to default
          </Button>
          <Button variant="contained" onClick={() => save.mutate()} disabled={text === template.content || !text.trim() || save.isPending}>
            Save
          </Button>
        </Box>
      )}
    </Paper>
  );
}

export default function PromptsTab() {
  const { canEdit } = usePermissions();
  const templates = useQuery({ queryKey: keys.templates, queryFn: templatesApi.list });
  if (templates.isPending) return <PageLoader label="Loading prompts" />;
  if (templates.isError) return <Alert severity="error">{errorMessage(templates.error)}</Alert>;
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <Typography variant="body2" color="text.secondary">
        The texts Kasal sends to the model that designs a crew from a sentence. A change applies to this group only; reset
        brings back the text Kasal ships.
      </Typography>
      {templates.data.map((t) => (
        <TemplateCard key={`${t.key}-${t.updated_at ?? 'default'}`} template={t} readOnly={!canEdit} />
      ))}
    </Box>
  );
}
