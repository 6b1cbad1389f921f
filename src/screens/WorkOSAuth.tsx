import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import React, { useEffect, useState } from 'react';
import { Frame, LineInput, StatusLine, useWizard, YesNo } from './ui.js';

export function WorkOSAuth() {
  const apiKey = useWizard((s) => s.apiKey);
  const check = useWizard((s) => s.workosCheck);
  const confirmed = useWizard((s) => s.productionConfirmed);
  const resuming = useWizard((s) => !!s.journalPath);
  const actions = useWizard((s) => s.actions);
  const [typing, setTyping] = useState(!apiKey.value);

  // A key from the environment is checked at once; a typed one when Enter is pressed.
  useEffect(() => {
    if (apiKey.value && check.state === 'idle' && !typing) void actions.checkWorkOS();
  }, [apiKey.value, check.state, typing, actions]);

  const production = check.state === 'ok' && check.environment === 'production';
  const ready = check.state === 'ok' && (!production || confirmed);

  useInput((input, key) => {
    if (key.ctrl) return;
    if (typing) {
      // The input ignores Esc: leave the typing for the key already given, else go back.
      if (key.escape && apiKey.value) setTyping(false);
      else if (key.escape && !resuming) actions.back();
      return;
    }
    if (check.state === 'running') return;
    if (key.escape && !resuming) actions.back();
    else if (input === 'e') setTyping(true);
    else if (key.return && ready && !resuming) void actions.startExport();
  });

  // Only the kind of key is shown (sk_test_ / sk_live_), never a character of the secret itself.
  const masked = apiKey.value ? `${/^sk_(test|live)_/.exec(apiKey.value)?.[0] ?? ''}${'•'.repeat(12)}` : '';
  return (
    <Frame step="workos-auth" keys={typing ? ['type the key (hidden)', 'Enter check', ...(apiKey.value ? ['Esc keep the current key'] : resuming ? [] : ['Esc back'])] : [ready && !resuming ? 'Enter start the export' : '', 'e enter another key', resuming ? '' : 'Esc back'].filter(Boolean)}>
      <Box>
        <Text>WORKOS_API_KEY: </Text>
        {typing ? (
          <LineInput
            mask
            placeholder="sk_test_..."
            onSubmit={(value) => {
              if (!value.trim()) {
                // Nothing typed: keep the key already given, or say what is expected.
                if (apiKey.value) setTyping(false);
                else void actions.checkWorkOS();
                return;
              }
              actions.setApiKey(value);
              setTyping(false);
            }}
          />
        ) : (
          <Text>
            {masked}
            {apiKey.fromEnv ? <Text dimColor> (from the environment)</Text> : null}
          </Text>
        )}
      </Box>
      <Box marginTop={1} flexDirection="column">
        {check.state === 'running' ? <Spinner label="Checking the key with WorkOS..." /> : null}
        {check.state === 'error' ? <StatusLine status="error">{check.message}</StatusLine> : null}
        {check.state === 'ok' ? (
          <StatusLine status={production ? 'warn' : 'ok'}>
            {production ? 'PRODUCTION environment' : check.environment === 'test' ? 'Test environment' : 'Environment of unknown kind'}
            {` · ${check.apiUrl}`}
          </StatusLine>
        ) : null}
        {production && !confirmed ? (
          <Box>
            <Text color="yellow">This writes to your production users. Continue? </Text>
            <YesNo defaultChoice="no" onYes={() => actions.confirmProduction()} onNo={() => setTyping(true)} />
          </Box>
        ) : null}
      </Box>
    </Frame>
  );
}
