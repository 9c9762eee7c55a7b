/**
 * Server-side entry of the panel's markup: the page components the server renders to HTML (with
 * their islands inside). Browser code only depends on lib/, components/ and islands/.
 */
export {
  AgentsPage,
  AuditPage,
  LoginPage,
  PluginsPage,
  SchedulerPage,
  SecretsPage,
  SettingsPage,
} from './admin.ts'
export { EventsPage } from './events.ts'
export { Layout, type PageContext } from './layout.ts'
export { DashboardPage, DecisionsPage, MessagePage, WorkflowPage } from './simple.ts'
export { TemplatePage, type TemplateSummary, TemplatesPage } from './templates.ts'
export { RANGES, WorkflowsPage } from './workflows.ts'
