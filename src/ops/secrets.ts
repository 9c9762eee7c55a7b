/**
 * Vault secrets over the JSON API (the panel's secrets page, `opcode secret` as a client): names
 * only, values write-only. Listing and deleting work on the sealed rows (names are not secret);
 * setting needs the vault key the server was started with. Values never appear in a response, an
 * audit row or a log line.
 */
import { Type } from '@sinclair/typebox'
import { AppError } from '../errors.ts'
import { checkName } from '../vault/index.ts'
import { defineOp, type OpServices } from './op.ts'
import { AgentId } from './params.ts'
import { needServerInfo } from './server-info.ts'

const SecretName = Type.String({
  minLength: 1,
  maxLength: 128,
  description: 'Secret name, referenced in workflows as ${{secrets.NAME}}.',
})

function storage(svc: OpServices) {
  const info = needServerInfo(svc)
  if (info.vaultStorage === undefined)
    throw new AppError('CONFLICT', 'this server runs without a secret store')
  return info
}

export const listSecretsOp = defineOp({
  name: 'secrets.list',
  description:
    'Names of the vault secrets (never values) and whether the vault is unlocked (a key was given at start-up).',
  tool: false,
  readOnly: true,
  http: { method: 'GET', path: '/secrets' },
  input: Type.Object({}),
  handle(svc) {
    const info = storage(svc)
    const names = info.vaultStorage?.list() ?? []
    return {
      secrets: names.map((name) => ({ name })),
      vault: info.vault === undefined ? 'uninitialized' : 'ready',
    }
  },
})

export const setSecretOp = defineOp({
  name: 'secrets.set',
  description:
    'Stores or replaces a secret (sealed with the vault key). The value is write-only: it is never returned, listed or logged.',
  tool: false,
  readOnly: false,
  http: { method: 'POST', path: '/secrets' },
  input: Type.Object({
    name: SecretName,
    value: Type.String({ minLength: 1, description: 'The secret value (UTF-8, at most 64 KiB).' }),
    agent_id: Type.Optional(AgentId('Who sets it (audit).')),
  }),
  audit: (input, result) => ({
    agent_id: input.agent_id ?? 'api',
    action: (result as { replaced: boolean }).replaced ? 'secret.replace' : 'secret.set',
    resource_type: 'secret',
    resource_id: input.name,
  }),
  handle(svc, input) {
    const info = storage(svc)
    checkName(input.name)
    if (info.vault === undefined) {
      throw new AppError(
        'VAULT_ERROR',
        'vault not initialized: start the server with OPCODE_VAULT_KEY (or OPCODE_VAULT_KEY_FILE) to store secrets',
      )
    }
    const replaced = info.vaultStorage?.get(input.name) !== undefined
    info.vault.set(input.name, input.value)
    return { name: input.name, replaced }
  },
})

export const deleteSecretOp = defineOp({
  name: 'secrets.delete',
  description: 'Deletes a secret. Workflows that reference it fail with VAULT_ERROR afterwards.',
  tool: false,
  readOnly: false,
  http: { method: 'DELETE', path: '/secrets/:name' },
  input: Type.Object({ name: SecretName, agent_id: Type.Optional(AgentId('Who deletes it.')) }),
  audit: (input) => ({
    agent_id: input.agent_id ?? 'api',
    action: 'secret.delete',
    resource_type: 'secret',
    resource_id: input.name,
  }),
  handle(svc, input) {
    const info = storage(svc)
    checkName(input.name)
    if (info.vaultStorage?.delete(input.name) !== true) {
      throw new AppError('NOT_FOUND', `secret "${input.name}" not found`, {
        details: { secret: input.name },
      })
    }
    return { deleted: input.name }
  },
})

export const SECRET_OPS = [listSecretsOp, setSecretOp, deleteSecretOp]
