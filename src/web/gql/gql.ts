/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment UserFields on User {\n    id\n    username\n    displayName\n    online\n    lastSeenAt\n    avatar {\n      id\n      thumbnailUrl\n    }\n  }\n": typeof types.UserFieldsFragmentDoc,
    "\n  fragment MessageFields on Message {\n    id\n    chatId\n    seq\n    rev\n    cursor\n    kind\n    text\n    clientId\n    createdAt\n    editedAt\n    deleted\n    pinned\n    status\n    senderId\n    sender {\n      id\n      displayName\n    }\n    replyTo {\n      id\n      text\n      deleted\n      sender {\n        id\n        displayName\n      }\n    }\n    file {\n      id\n      kind\n      mimeType\n      originalName\n      size\n      width\n      height\n      url\n      thumbnailUrl\n    }\n    reactions {\n      emoji\n      count\n      reactedByMe\n    }\n    myReaction\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  fragment ChatFields on Chat {\n    id\n    kind\n    title\n    rev\n    lastSeq\n    unreadCount\n    unreadMentionCount\n    muted\n    archived\n    pinned\n    updatedAt\n    memberCount\n    leftAt\n    members(first: 3) {\n      id\n      isAdmin\n      readSeq\n      deliveredSeq\n      user {\n        ...UserFields\n      }\n    }\n    lastMessage {\n      id\n      seq\n      kind\n      text\n      deleted\n      createdAt\n      sender {\n        id\n        displayName\n      }\n    }\n    pinnedMessages {\n      id\n      text\n      kind\n      seq\n    }\n  }\n": typeof types.ChatFieldsFragmentDoc,
    "\n  fragment ChatKindFields on Chat {\n    id\n    kind\n  }\n": typeof types.ChatKindFieldsFragmentDoc,
    "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      username\n      displayName\n      role\n    }\n  }\n": typeof types.AuthFieldsFragmentDoc,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      ...AuthFields\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      ...AuthFields\n    }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      ...AuthFields\n    }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation Logout($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n": typeof types.LogoutDocument,
    "\n  query Me {\n    me {\n      ...UserFields\n      role\n      unread {\n        chats\n        messages\n        mentions\n      }\n    }\n  }\n": typeof types.MeDocument,
    "\n  query Chats($first: Int, $after: String, $filter: ChatFilter) {\n    chats(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          ...ChatFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ChatsDocument,
    "\n  query ChatById($id: ID!) {\n    chat(id: $id) {\n      ...ChatFields\n    }\n  }\n": typeof types.ChatByIdDocument,
    "\n  query Messages($chatId: ID!, $first: Int, $after: String) {\n    messages(chatId: $chatId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n        startCursor\n      }\n    }\n  }\n": typeof types.MessagesDocument,
    "\n  query MessagesAfterSeq($chatId: ID!, $afterSeq: Int!, $after: String) {\n    messages(chatId: $chatId, afterSeq: $afterSeq, first: 100, after: $after) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.MessagesAfterSeqDocument,
    "\n  query MessageChangesBatch($after: [ChatRevInput!]!) {\n    messageChangesBatch(after: $after, firstPerChat: 100) {\n      chatId\n      hasMore\n      messages {\n        ...MessageFields\n      }\n    }\n  }\n": typeof types.MessageChangesBatchDocument,
    "\n  query MessageChanges($chatId: ID!, $afterRev: Int!) {\n    messageChanges(chatId: $chatId, afterRev: $afterRev, first: 100) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": typeof types.MessageChangesDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n": typeof types.SendMessageDocument,
    "\n  mutation SendMedia($input: SendMediaMessageInput!) {\n    sendMediaMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n": typeof types.SendMediaDocument,
    "\n  mutation EditMessage($messageId: ID!, $text: String!) {\n    editMessage(messageId: $messageId, text: $text) {\n      ...MessageFields\n    }\n  }\n": typeof types.EditMessageDocument,
    "\n  mutation DeleteMessage($messageId: ID!, $forEveryone: Boolean!) {\n    deleteMessage(messageId: $messageId, forEveryone: $forEveryone) {\n      ...MessageFields\n    }\n  }\n": typeof types.DeleteMessageDocument,
    "\n  mutation SetReaction($messageId: ID!, $emoji: String!) {\n    setReaction(messageId: $messageId, emoji: $emoji) {\n      ...MessageFields\n    }\n  }\n": typeof types.SetReactionDocument,
    "\n  mutation RemoveReaction($messageId: ID!) {\n    removeReaction(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n": typeof types.RemoveReactionDocument,
    "\n  mutation PinMessage($messageId: ID!) {\n    pinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n": typeof types.PinMessageDocument,
    "\n  mutation UnpinMessage($messageId: ID!) {\n    unpinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n": typeof types.UnpinMessageDocument,
    "\n  mutation MarkRead($chatId: ID!, $upToMessageId: ID!) {\n    markRead(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n": typeof types.MarkReadDocument,
    "\n  mutation MarkDelivered($chatId: ID!, $upToMessageId: ID!) {\n    markDelivered(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n": typeof types.MarkDeliveredDocument,
    "\n  mutation SetTyping($chatId: ID!, $typing: Boolean!) {\n    setTyping(chatId: $chatId, typing: $typing)\n  }\n": typeof types.SetTypingDocument,
    "\n  query SearchUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          ...UserFields\n        }\n      }\n    }\n  }\n": typeof types.SearchUsersDocument,
    "\n  mutation CreatePrivateChat($userId: ID!) {\n    createPrivateChat(userId: $userId) {\n      ...ChatFields\n    }\n  }\n": typeof types.CreatePrivateChatDocument,
    "\n  mutation CreateGroupChat($input: CreateGroupChatInput!) {\n    createGroupChat(input: $input) {\n      ...ChatFields\n    }\n  }\n": typeof types.CreateGroupChatDocument,
    "\n  mutation UpdateChatSettings($chatId: ID!, $input: ChatSettingsInput!) {\n    updateChatSettings(chatId: $chatId, input: $input) {\n      ...ChatFields\n    }\n  }\n": typeof types.UpdateChatSettingsDocument,
    "\n  mutation BlockUser($userId: ID!) {\n    blockUser(userId: $userId)\n  }\n": typeof types.BlockUserDocument,
    "\n  mutation ReportMessage($messageId: ID!, $reason: ReportReason!, $note: String) {\n    reportMessage(messageId: $messageId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n": typeof types.ReportMessageDocument,
    "\n  mutation ReportUser($userId: ID!, $reason: ReportReason!, $note: String) {\n    reportUser(userId: $userId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n": typeof types.ReportUserDocument,
    "\n  query Notifications {\n    notifications(first: 50) {\n      edges {\n        node {\n          id\n          type\n          title\n          body\n          count\n          read\n          data\n          updatedAt\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n": typeof types.NotificationsDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead\n  }\n": typeof types.MarkAllNotificationsReadDocument,
    "\n  subscription OnNewMessage {\n    newMessage {\n      ...MessageFields\n    }\n  }\n": typeof types.OnNewMessageDocument,
    "\n  subscription OnMessageUpdated {\n    messageUpdated {\n      ...MessageFields\n    }\n  }\n": typeof types.OnMessageUpdatedDocument,
    "\n  subscription OnMessageStatus {\n    messageStatus {\n      chatId\n      messageId\n      seq\n      status\n      userId\n    }\n  }\n": typeof types.OnMessageStatusDocument,
    "\n  subscription OnChatUpdated {\n    chatUpdated {\n      ...ChatFields\n    }\n  }\n": typeof types.OnChatUpdatedDocument,
    "\n  subscription OnPresence {\n    presence {\n      userId\n      status\n      user {\n        id\n        online\n        lastSeenAt\n      }\n    }\n  }\n": typeof types.OnPresenceDocument,
    "\n  subscription OnTyping($chatId: ID!) {\n    typing(chatId: $chatId) {\n      chatId\n      userId\n      typing\n      user {\n        id\n        displayName\n      }\n    }\n  }\n": typeof types.OnTypingDocument,
    "\n  subscription OnNotification {\n    notification {\n      id\n      type\n      title\n      body\n      count\n      read\n      data\n      updatedAt\n    }\n  }\n": typeof types.OnNotificationDocument,
    "\n  query AdminOverview($hours: Int!) {\n    adminStats {\n      usersTotal\n      usersActive\n      usersOnline\n      chatsTotal\n      messagesTotal\n      messagesLast24h\n      filesCount\n      filesBytes\n      webSocketsOpen\n      openReports\n    }\n    adminHealth {\n      status\n      databaseMode\n      version\n      uptimeSeconds\n      database {\n        up\n        latencyMs\n      }\n      pubsub {\n        up\n        latencyMs\n      }\n      uploads {\n        up\n        detail\n      }\n      jobs {\n        queued\n        running\n        failed\n      }\n    }\n    adminActivity(hours: $hours) {\n      hour\n      messages\n    }\n  }\n": typeof types.AdminOverviewDocument,
    "\n  query AdminUsers($search: String, $active: Boolean!, $after: String) {\n    adminUsers(search: $search, active: $active, first: 20, after: $after) {\n      edges {\n        node {\n          id\n          username\n          displayName\n          role\n          online\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.AdminUsersDocument,
    "\n  mutation AdminSetUserActive($userId: ID!, $active: Boolean!) {\n    adminSetUserActive(userId: $userId, active: $active) {\n      id\n    }\n  }\n": typeof types.AdminSetUserActiveDocument,
    "\n  query AdminReports($status: ReportStatus) {\n    adminReports(status: $status, first: 20) {\n      edges {\n        node {\n          id\n          reason\n          note\n          status\n          action\n          createdAt\n          reporter {\n            id\n            username\n          }\n          user {\n            id\n            username\n          }\n          snapshot {\n            text\n          }\n        }\n      }\n    }\n  }\n": typeof types.AdminReportsDocument,
    "\n  mutation AdminResolveReport($reportId: ID!, $action: ReportAction!, $note: String) {\n    adminResolveReport(reportId: $reportId, action: $action, note: $note) {\n      id\n      status\n      action\n    }\n  }\n": typeof types.AdminResolveReportDocument,
    "\n  query AdminAuditLog {\n    adminAuditLog(first: 30) {\n      edges {\n        node {\n          id\n          action\n          targetType\n          targetId\n          details\n          createdAt\n          admin {\n            id\n            username\n          }\n        }\n      }\n    }\n  }\n": typeof types.AdminAuditLogDocument,
};
const documents: Documents = {
    "\n  fragment UserFields on User {\n    id\n    username\n    displayName\n    online\n    lastSeenAt\n    avatar {\n      id\n      thumbnailUrl\n    }\n  }\n": types.UserFieldsFragmentDoc,
    "\n  fragment MessageFields on Message {\n    id\n    chatId\n    seq\n    rev\n    cursor\n    kind\n    text\n    clientId\n    createdAt\n    editedAt\n    deleted\n    pinned\n    status\n    senderId\n    sender {\n      id\n      displayName\n    }\n    replyTo {\n      id\n      text\n      deleted\n      sender {\n        id\n        displayName\n      }\n    }\n    file {\n      id\n      kind\n      mimeType\n      originalName\n      size\n      width\n      height\n      url\n      thumbnailUrl\n    }\n    reactions {\n      emoji\n      count\n      reactedByMe\n    }\n    myReaction\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  fragment ChatFields on Chat {\n    id\n    kind\n    title\n    rev\n    lastSeq\n    unreadCount\n    unreadMentionCount\n    muted\n    archived\n    pinned\n    updatedAt\n    memberCount\n    leftAt\n    members(first: 3) {\n      id\n      isAdmin\n      readSeq\n      deliveredSeq\n      user {\n        ...UserFields\n      }\n    }\n    lastMessage {\n      id\n      seq\n      kind\n      text\n      deleted\n      createdAt\n      sender {\n        id\n        displayName\n      }\n    }\n    pinnedMessages {\n      id\n      text\n      kind\n      seq\n    }\n  }\n": types.ChatFieldsFragmentDoc,
    "\n  fragment ChatKindFields on Chat {\n    id\n    kind\n  }\n": types.ChatKindFieldsFragmentDoc,
    "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      username\n      displayName\n      role\n    }\n  }\n": types.AuthFieldsFragmentDoc,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      ...AuthFields\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      ...AuthFields\n    }\n  }\n": types.LoginDocument,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      ...AuthFields\n    }\n  }\n": types.RefreshDocument,
    "\n  mutation Logout($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n": types.LogoutDocument,
    "\n  query Me {\n    me {\n      ...UserFields\n      role\n      unread {\n        chats\n        messages\n        mentions\n      }\n    }\n  }\n": types.MeDocument,
    "\n  query Chats($first: Int, $after: String, $filter: ChatFilter) {\n    chats(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          ...ChatFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ChatsDocument,
    "\n  query ChatById($id: ID!) {\n    chat(id: $id) {\n      ...ChatFields\n    }\n  }\n": types.ChatByIdDocument,
    "\n  query Messages($chatId: ID!, $first: Int, $after: String) {\n    messages(chatId: $chatId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n        startCursor\n      }\n    }\n  }\n": types.MessagesDocument,
    "\n  query MessagesAfterSeq($chatId: ID!, $afterSeq: Int!, $after: String) {\n    messages(chatId: $chatId, afterSeq: $afterSeq, first: 100, after: $after) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.MessagesAfterSeqDocument,
    "\n  query MessageChangesBatch($after: [ChatRevInput!]!) {\n    messageChangesBatch(after: $after, firstPerChat: 100) {\n      chatId\n      hasMore\n      messages {\n        ...MessageFields\n      }\n    }\n  }\n": types.MessageChangesBatchDocument,
    "\n  query MessageChanges($chatId: ID!, $afterRev: Int!) {\n    messageChanges(chatId: $chatId, afterRev: $afterRev, first: 100) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n": types.MessageChangesDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n": types.SendMessageDocument,
    "\n  mutation SendMedia($input: SendMediaMessageInput!) {\n    sendMediaMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n": types.SendMediaDocument,
    "\n  mutation EditMessage($messageId: ID!, $text: String!) {\n    editMessage(messageId: $messageId, text: $text) {\n      ...MessageFields\n    }\n  }\n": types.EditMessageDocument,
    "\n  mutation DeleteMessage($messageId: ID!, $forEveryone: Boolean!) {\n    deleteMessage(messageId: $messageId, forEveryone: $forEveryone) {\n      ...MessageFields\n    }\n  }\n": types.DeleteMessageDocument,
    "\n  mutation SetReaction($messageId: ID!, $emoji: String!) {\n    setReaction(messageId: $messageId, emoji: $emoji) {\n      ...MessageFields\n    }\n  }\n": types.SetReactionDocument,
    "\n  mutation RemoveReaction($messageId: ID!) {\n    removeReaction(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n": types.RemoveReactionDocument,
    "\n  mutation PinMessage($messageId: ID!) {\n    pinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n": types.PinMessageDocument,
    "\n  mutation UnpinMessage($messageId: ID!) {\n    unpinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n": types.UnpinMessageDocument,
    "\n  mutation MarkRead($chatId: ID!, $upToMessageId: ID!) {\n    markRead(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n": types.MarkReadDocument,
    "\n  mutation MarkDelivered($chatId: ID!, $upToMessageId: ID!) {\n    markDelivered(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n": types.MarkDeliveredDocument,
    "\n  mutation SetTyping($chatId: ID!, $typing: Boolean!) {\n    setTyping(chatId: $chatId, typing: $typing)\n  }\n": types.SetTypingDocument,
    "\n  query SearchUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          ...UserFields\n        }\n      }\n    }\n  }\n": types.SearchUsersDocument,
    "\n  mutation CreatePrivateChat($userId: ID!) {\n    createPrivateChat(userId: $userId) {\n      ...ChatFields\n    }\n  }\n": types.CreatePrivateChatDocument,
    "\n  mutation CreateGroupChat($input: CreateGroupChatInput!) {\n    createGroupChat(input: $input) {\n      ...ChatFields\n    }\n  }\n": types.CreateGroupChatDocument,
    "\n  mutation UpdateChatSettings($chatId: ID!, $input: ChatSettingsInput!) {\n    updateChatSettings(chatId: $chatId, input: $input) {\n      ...ChatFields\n    }\n  }\n": types.UpdateChatSettingsDocument,
    "\n  mutation BlockUser($userId: ID!) {\n    blockUser(userId: $userId)\n  }\n": types.BlockUserDocument,
    "\n  mutation ReportMessage($messageId: ID!, $reason: ReportReason!, $note: String) {\n    reportMessage(messageId: $messageId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n": types.ReportMessageDocument,
    "\n  mutation ReportUser($userId: ID!, $reason: ReportReason!, $note: String) {\n    reportUser(userId: $userId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n": types.ReportUserDocument,
    "\n  query Notifications {\n    notifications(first: 50) {\n      edges {\n        node {\n          id\n          type\n          title\n          body\n          count\n          read\n          data\n          updatedAt\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n": types.NotificationsDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead\n  }\n": types.MarkAllNotificationsReadDocument,
    "\n  subscription OnNewMessage {\n    newMessage {\n      ...MessageFields\n    }\n  }\n": types.OnNewMessageDocument,
    "\n  subscription OnMessageUpdated {\n    messageUpdated {\n      ...MessageFields\n    }\n  }\n": types.OnMessageUpdatedDocument,
    "\n  subscription OnMessageStatus {\n    messageStatus {\n      chatId\n      messageId\n      seq\n      status\n      userId\n    }\n  }\n": types.OnMessageStatusDocument,
    "\n  subscription OnChatUpdated {\n    chatUpdated {\n      ...ChatFields\n    }\n  }\n": types.OnChatUpdatedDocument,
    "\n  subscription OnPresence {\n    presence {\n      userId\n      status\n      user {\n        id\n        online\n        lastSeenAt\n      }\n    }\n  }\n": types.OnPresenceDocument,
    "\n  subscription OnTyping($chatId: ID!) {\n    typing(chatId: $chatId) {\n      chatId\n      userId\n      typing\n      user {\n        id\n        displayName\n      }\n    }\n  }\n": types.OnTypingDocument,
    "\n  subscription OnNotification {\n    notification {\n      id\n      type\n      title\n      body\n      count\n      read\n      data\n      updatedAt\n    }\n  }\n": types.OnNotificationDocument,
    "\n  query AdminOverview($hours: Int!) {\n    adminStats {\n      usersTotal\n      usersActive\n      usersOnline\n      chatsTotal\n      messagesTotal\n      messagesLast24h\n      filesCount\n      filesBytes\n      webSocketsOpen\n      openReports\n    }\n    adminHealth {\n      status\n      databaseMode\n      version\n      uptimeSeconds\n      database {\n        up\n        latencyMs\n      }\n      pubsub {\n        up\n        latencyMs\n      }\n      uploads {\n        up\n        detail\n      }\n      jobs {\n        queued\n        running\n        failed\n      }\n    }\n    adminActivity(hours: $hours) {\n      hour\n      messages\n    }\n  }\n": types.AdminOverviewDocument,
    "\n  query AdminUsers($search: String, $active: Boolean!, $after: String) {\n    adminUsers(search: $search, active: $active, first: 20, after: $after) {\n      edges {\n        node {\n          id\n          username\n          displayName\n          role\n          online\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.AdminUsersDocument,
    "\n  mutation AdminSetUserActive($userId: ID!, $active: Boolean!) {\n    adminSetUserActive(userId: $userId, active: $active) {\n      id\n    }\n  }\n": types.AdminSetUserActiveDocument,
    "\n  query AdminReports($status: ReportStatus) {\n    adminReports(status: $status, first: 20) {\n      edges {\n        node {\n          id\n          reason\n          note\n          status\n          action\n          createdAt\n          reporter {\n            id\n            username\n          }\n          user {\n            id\n            username\n          }\n          snapshot {\n            text\n          }\n        }\n      }\n    }\n  }\n": types.AdminReportsDocument,
    "\n  mutation AdminResolveReport($reportId: ID!, $action: ReportAction!, $note: String) {\n    adminResolveReport(reportId: $reportId, action: $action, note: $note) {\n      id\n      status\n      action\n    }\n  }\n": types.AdminResolveReportDocument,
    "\n  query AdminAuditLog {\n    adminAuditLog(first: 30) {\n      edges {\n        node {\n          id\n          action\n          targetType\n          targetId\n          details\n          createdAt\n          admin {\n            id\n            username\n          }\n        }\n      }\n    }\n  }\n": types.AdminAuditLogDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserFields on User {\n    id\n    username\n    displayName\n    online\n    lastSeenAt\n    avatar {\n      id\n      thumbnailUrl\n    }\n  }\n"): (typeof documents)["\n  fragment UserFields on User {\n    id\n    username\n    displayName\n    online\n    lastSeenAt\n    avatar {\n      id\n      thumbnailUrl\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id\n    chatId\n    seq\n    rev\n    cursor\n    kind\n    text\n    clientId\n    createdAt\n    editedAt\n    deleted\n    pinned\n    status\n    senderId\n    sender {\n      id\n      displayName\n    }\n    replyTo {\n      id\n      text\n      deleted\n      sender {\n        id\n        displayName\n      }\n    }\n    file {\n      id\n      kind\n      mimeType\n      originalName\n      size\n      width\n      height\n      url\n      thumbnailUrl\n    }\n    reactions {\n      emoji\n      count\n      reactedByMe\n    }\n    myReaction\n  }\n"): (typeof documents)["\n  fragment MessageFields on Message {\n    id\n    chatId\n    seq\n    rev\n    cursor\n    kind\n    text\n    clientId\n    createdAt\n    editedAt\n    deleted\n    pinned\n    status\n    senderId\n    sender {\n      id\n      displayName\n    }\n    replyTo {\n      id\n      text\n      deleted\n      sender {\n        id\n        displayName\n      }\n    }\n    file {\n      id\n      kind\n      mimeType\n      originalName\n      size\n      width\n      height\n      url\n      thumbnailUrl\n    }\n    reactions {\n      emoji\n      count\n      reactedByMe\n    }\n    myReaction\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChatFields on Chat {\n    id\n    kind\n    title\n    rev\n    lastSeq\n    unreadCount\n    unreadMentionCount\n    muted\n    archived\n    pinned\n    updatedAt\n    memberCount\n    leftAt\n    members(first: 3) {\n      id\n      isAdmin\n      readSeq\n      deliveredSeq\n      user {\n        ...UserFields\n      }\n    }\n    lastMessage {\n      id\n      seq\n      kind\n      text\n      deleted\n      createdAt\n      sender {\n        id\n        displayName\n      }\n    }\n    pinnedMessages {\n      id\n      text\n      kind\n      seq\n    }\n  }\n"): (typeof documents)["\n  fragment ChatFields on Chat {\n    id\n    kind\n    title\n    rev\n    lastSeq\n    unreadCount\n    unreadMentionCount\n    muted\n    archived\n    pinned\n    updatedAt\n    memberCount\n    leftAt\n    members(first: 3) {\n      id\n      isAdmin\n      readSeq\n      deliveredSeq\n      user {\n        ...UserFields\n      }\n    }\n    lastMessage {\n      id\n      seq\n      kind\n      text\n      deleted\n      createdAt\n      sender {\n        id\n        displayName\n      }\n    }\n    pinnedMessages {\n      id\n      text\n      kind\n      seq\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChatKindFields on Chat {\n    id\n    kind\n  }\n"): (typeof documents)["\n  fragment ChatKindFields on Chat {\n    id\n    kind\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      username\n      displayName\n      role\n    }\n  }\n"): (typeof documents)["\n  fragment AuthFields on AuthPayload {\n    accessToken\n    refreshToken\n    expiresIn\n    user {\n      id\n      username\n      displayName\n      role\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      ...AuthFields\n    }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      ...AuthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      ...AuthFields\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      ...AuthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      ...AuthFields\n    }\n  }\n"): (typeof documents)["\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) {\n      ...AuthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n"): (typeof documents)["\n  mutation Logout($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      ...UserFields\n      role\n      unread {\n        chats\n        messages\n        mentions\n      }\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      ...UserFields\n      role\n      unread {\n        chats\n        messages\n        mentions\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Chats($first: Int, $after: String, $filter: ChatFilter) {\n    chats(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          ...ChatFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Chats($first: Int, $after: String, $filter: ChatFilter) {\n    chats(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          ...ChatFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ChatById($id: ID!) {\n    chat(id: $id) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  query ChatById($id: ID!) {\n    chat(id: $id) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Messages($chatId: ID!, $first: Int, $after: String) {\n    messages(chatId: $chatId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n        startCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Messages($chatId: ID!, $first: Int, $after: String) {\n    messages(chatId: $chatId, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n        startCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MessagesAfterSeq($chatId: ID!, $afterSeq: Int!, $after: String) {\n    messages(chatId: $chatId, afterSeq: $afterSeq, first: 100, after: $after) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query MessagesAfterSeq($chatId: ID!, $afterSeq: Int!, $after: String) {\n    messages(chatId: $chatId, afterSeq: $afterSeq, first: 100, after: $after) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MessageChangesBatch($after: [ChatRevInput!]!) {\n    messageChangesBatch(after: $after, firstPerChat: 100) {\n      chatId\n      hasMore\n      messages {\n        ...MessageFields\n      }\n    }\n  }\n"): (typeof documents)["\n  query MessageChangesBatch($after: [ChatRevInput!]!) {\n    messageChangesBatch(after: $after, firstPerChat: 100) {\n      chatId\n      hasMore\n      messages {\n        ...MessageFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MessageChanges($chatId: ID!, $afterRev: Int!) {\n    messageChanges(chatId: $chatId, afterRev: $afterRev, first: 100) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query MessageChanges($chatId: ID!, $afterRev: Int!) {\n    messageChanges(chatId: $chatId, afterRev: $afterRev, first: 100) {\n      edges {\n        node {\n          ...MessageFields\n        }\n      }\n      pageInfo {\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendMedia($input: SendMediaMessageInput!) {\n    sendMediaMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation SendMedia($input: SendMediaMessageInput!) {\n    sendMediaMessage(input: $input) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EditMessage($messageId: ID!, $text: String!) {\n    editMessage(messageId: $messageId, text: $text) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation EditMessage($messageId: ID!, $text: String!) {\n    editMessage(messageId: $messageId, text: $text) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMessage($messageId: ID!, $forEveryone: Boolean!) {\n    deleteMessage(messageId: $messageId, forEveryone: $forEveryone) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation DeleteMessage($messageId: ID!, $forEveryone: Boolean!) {\n    deleteMessage(messageId: $messageId, forEveryone: $forEveryone) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetReaction($messageId: ID!, $emoji: String!) {\n    setReaction(messageId: $messageId, emoji: $emoji) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation SetReaction($messageId: ID!, $emoji: String!) {\n    setReaction(messageId: $messageId, emoji: $emoji) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveReaction($messageId: ID!) {\n    removeReaction(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveReaction($messageId: ID!) {\n    removeReaction(messageId: $messageId) {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PinMessage($messageId: ID!) {\n    pinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  mutation PinMessage($messageId: ID!) {\n    pinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnpinMessage($messageId: ID!) {\n    unpinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  mutation UnpinMessage($messageId: ID!) {\n    unpinMessage(messageId: $messageId) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkRead($chatId: ID!, $upToMessageId: ID!) {\n    markRead(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n"): (typeof documents)["\n  mutation MarkRead($chatId: ID!, $upToMessageId: ID!) {\n    markRead(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkDelivered($chatId: ID!, $upToMessageId: ID!) {\n    markDelivered(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n"): (typeof documents)["\n  mutation MarkDelivered($chatId: ID!, $upToMessageId: ID!) {\n    markDelivered(chatId: $chatId, upToMessageId: $upToMessageId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetTyping($chatId: ID!, $typing: Boolean!) {\n    setTyping(chatId: $chatId, typing: $typing)\n  }\n"): (typeof documents)["\n  mutation SetTyping($chatId: ID!, $typing: Boolean!) {\n    setTyping(chatId: $chatId, typing: $typing)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          ...UserFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SearchUsers($search: String!) {\n    users(search: $search, first: 10) {\n      edges {\n        node {\n          ...UserFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePrivateChat($userId: ID!) {\n    createPrivateChat(userId: $userId) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePrivateChat($userId: ID!) {\n    createPrivateChat(userId: $userId) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateGroupChat($input: CreateGroupChatInput!) {\n    createGroupChat(input: $input) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreateGroupChat($input: CreateGroupChatInput!) {\n    createGroupChat(input: $input) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateChatSettings($chatId: ID!, $input: ChatSettingsInput!) {\n    updateChatSettings(chatId: $chatId, input: $input) {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateChatSettings($chatId: ID!, $input: ChatSettingsInput!) {\n    updateChatSettings(chatId: $chatId, input: $input) {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation BlockUser($userId: ID!) {\n    blockUser(userId: $userId)\n  }\n"): (typeof documents)["\n  mutation BlockUser($userId: ID!) {\n    blockUser(userId: $userId)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportMessage($messageId: ID!, $reason: ReportReason!, $note: String) {\n    reportMessage(messageId: $messageId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation ReportMessage($messageId: ID!, $reason: ReportReason!, $note: String) {\n    reportMessage(messageId: $messageId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReportUser($userId: ID!, $reason: ReportReason!, $note: String) {\n    reportUser(userId: $userId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n"): (typeof documents)["\n  mutation ReportUser($userId: ID!, $reason: ReportReason!, $note: String) {\n    reportUser(userId: $userId, reason: $reason, note: $note) {\n      id\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Notifications {\n    notifications(first: 50) {\n      edges {\n        node {\n          id\n          type\n          title\n          body\n          count\n          read\n          data\n          updatedAt\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query Notifications {\n    notifications(first: 50) {\n      edges {\n        node {\n          id\n          type\n          title\n          body\n          count\n          read\n          data\n          updatedAt\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead\n  }\n"): (typeof documents)["\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnNewMessage {\n    newMessage {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  subscription OnNewMessage {\n    newMessage {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnMessageUpdated {\n    messageUpdated {\n      ...MessageFields\n    }\n  }\n"): (typeof documents)["\n  subscription OnMessageUpdated {\n    messageUpdated {\n      ...MessageFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnMessageStatus {\n    messageStatus {\n      chatId\n      messageId\n      seq\n      status\n      userId\n    }\n  }\n"): (typeof documents)["\n  subscription OnMessageStatus {\n    messageStatus {\n      chatId\n      messageId\n      seq\n      status\n      userId\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnChatUpdated {\n    chatUpdated {\n      ...ChatFields\n    }\n  }\n"): (typeof documents)["\n  subscription OnChatUpdated {\n    chatUpdated {\n      ...ChatFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnPresence {\n    presence {\n      userId\n      status\n      user {\n        id\n        online\n        lastSeenAt\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription OnPresence {\n    presence {\n      userId\n      status\n      user {\n        id\n        online\n        lastSeenAt\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnTyping($chatId: ID!) {\n    typing(chatId: $chatId) {\n      chatId\n      userId\n      typing\n      user {\n        id\n        displayName\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription OnTyping($chatId: ID!) {\n    typing(chatId: $chatId) {\n      chatId\n      userId\n      typing\n      user {\n        id\n        displayName\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OnNotification {\n    notification {\n      id\n      type\n      title\n      body\n      count\n      read\n      data\n      updatedAt\n    }\n  }\n"): (typeof documents)["\n  subscription OnNotification {\n    notification {\n      id\n      type\n      title\n      body\n      count\n      read\n      data\n      updatedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminOverview($hours: Int!) {\n    adminStats {\n      usersTotal\n      usersActive\n      usersOnline\n      chatsTotal\n      messagesTotal\n      messagesLast24h\n      filesCount\n      filesBytes\n      webSocketsOpen\n      openReports\n    }\n    adminHealth {\n      status\n      databaseMode\n      version\n      uptimeSeconds\n      database {\n        up\n        latencyMs\n      }\n      pubsub {\n        up\n        latencyMs\n      }\n      uploads {\n        up\n        detail\n      }\n      jobs {\n        queued\n        running\n        failed\n      }\n    }\n    adminActivity(hours: $hours) {\n      hour\n      messages\n    }\n  }\n"): (typeof documents)["\n  query AdminOverview($hours: Int!) {\n    adminStats {\n      usersTotal\n      usersActive\n      usersOnline\n      chatsTotal\n      messagesTotal\n      messagesLast24h\n      filesCount\n      filesBytes\n      webSocketsOpen\n      openReports\n    }\n    adminHealth {\n      status\n      databaseMode\n      version\n      uptimeSeconds\n      database {\n        up\n        latencyMs\n      }\n      pubsub {\n        up\n        latencyMs\n      }\n      uploads {\n        up\n        detail\n      }\n      jobs {\n        queued\n        running\n        failed\n      }\n    }\n    adminActivity(hours: $hours) {\n      hour\n      messages\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminUsers($search: String, $active: Boolean!, $after: String) {\n    adminUsers(search: $search, active: $active, first: 20, after: $after) {\n      edges {\n        node {\n          id\n          username\n          displayName\n          role\n          online\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query AdminUsers($search: String, $active: Boolean!, $after: String) {\n    adminUsers(search: $search, active: $active, first: 20, after: $after) {\n      edges {\n        node {\n          id\n          username\n          displayName\n          role\n          online\n          createdAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminSetUserActive($userId: ID!, $active: Boolean!) {\n    adminSetUserActive(userId: $userId, active: $active) {\n      id\n    }\n  }\n"): (typeof documents)["\n  mutation AdminSetUserActive($userId: ID!, $active: Boolean!) {\n    adminSetUserActive(userId: $userId, active: $active) {\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminReports($status: ReportStatus) {\n    adminReports(status: $status, first: 20) {\n      edges {\n        node {\n          id\n          reason\n          note\n          status\n          action\n          createdAt\n          reporter {\n            id\n            username\n          }\n          user {\n            id\n            username\n          }\n          snapshot {\n            text\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AdminReports($status: ReportStatus) {\n    adminReports(status: $status, first: 20) {\n      edges {\n        node {\n          id\n          reason\n          note\n          status\n          action\n          createdAt\n          reporter {\n            id\n            username\n          }\n          user {\n            id\n            username\n          }\n          snapshot {\n            text\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminResolveReport($reportId: ID!, $action: ReportAction!, $note: String) {\n    adminResolveReport(reportId: $reportId, action: $action, note: $note) {\n      id\n      status\n      action\n    }\n  }\n"): (typeof documents)["\n  mutation AdminResolveReport($reportId: ID!, $action: ReportAction!, $note: String) {\n    adminResolveReport(reportId: $reportId, action: $action, note: $note) {\n      id\n      status\n      action\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminAuditLog {\n    adminAuditLog(first: 30) {\n      edges {\n        node {\n          id\n          action\n          targetType\n          targetId\n          details\n          createdAt\n          admin {\n            id\n            username\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AdminAuditLog {\n    adminAuditLog(first: 30) {\n      edges {\n        node {\n          id\n          action\n          targetType\n          targetId\n          details\n          createdAt\n          admin {\n            id\n            username\n          }\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;