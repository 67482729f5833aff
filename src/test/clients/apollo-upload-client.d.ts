// apollo-upload-client (19, the last for Node 20) types its .mjs files with JSDoc only; TypeScript reads no
// JavaScript here (no allowJs), so the part the client tests use is declared.
declare module 'apollo-upload-client/UploadHttpLink.mjs' {
  import { ApolloLink } from '@apollo/client';
  /** A terminating link: a GraphQL multipart request when the variables hold files, else a plain POST. */
  export default class UploadHttpLink extends ApolloLink {
    constructor(options?: {
      uri?: string;
      headers?: Record<string, string>;
      fetch?: typeof fetch;
      fetchOptions?: RequestInit;
      credentials?: string;
      includeExtensions?: boolean;
      useGETForQueries?: boolean;
    });
  }
}
