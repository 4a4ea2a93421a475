-- The original BadgeKit API's MySQL schema as its database looks once every migration of
-- mozilla/badgekit-api (commit a60bdc6, app/migrations/*.js) has run: the initial tables,
-- badge slugs unique across the deployment (the three per-container slug keys dropped),
-- `badges.evidenceType`, and the `alignments` table. Written for this project from those
-- migrations; table and column names, types, keys, defaults and enums are the original's.
--
-- Two things differ on purpose from replaying the migrations' text on a current MariaDB:
--
-- * The migrations declare most references inline (`systemId INT NOT NULL REFERENCES
--   systems(id)`). MySQL, which the original ran on, parses and ignores an inline REFERENCES
--   clause, so no such constraint ever existed and deployments can hold dangling ids (rows of a
--   deleted badge, for instance). MariaDB 10.5 and later turn the same clause into a real foreign
--   key. Those clauses are therefore left out here; only the two tables that declared table-level
--   FOREIGN KEY clauses (milestones, milestoneBadges) have constraints, as in the original.
-- * `CHARACTER SET utf8` is written `utf8mb3`, what MySQL's `utf8` always meant (three bytes at
--   most: no character outside the Basic Multilingual Plane can be stored).
--
-- TIMESTAMP columns hold UTC; a session reads them in its own `time_zone` (the import and the
-- fixture loader set '+00:00'). db-migrate's own bookkeeping table, `migrations`, is included
-- because every real deployment has it; it holds no BadgeKit data.

CREATE TABLE `migrations` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` VARCHAR(255) NOT NULL,
  `run_on` DATETIME NOT NULL
) ENGINE=InnoDB;

CREATE TABLE `images` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL UNIQUE,
  `url` VARCHAR(255) NULL DEFAULT NULL,
  `mimetype` VARCHAR(255) NULL DEFAULT NULL,
  `data` LONGBLOB NULL DEFAULT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `systems` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL UNIQUE,
  `name` VARCHAR(255) NOT NULL,
  `url` VARCHAR(255) NOT NULL,
  `description` TEXT NULL,
  `email` VARCHAR(255) NULL DEFAULT NULL,
  `imageId` INT NULL DEFAULT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `consumers` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `apiKey` VARCHAR(255) NOT NULL UNIQUE,
  `apiSecret` VARCHAR(255) NOT NULL,
  `description` VARCHAR(255) NULL DEFAULT NULL,
  `systemId` INT NOT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `webhooks` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `url` VARCHAR(255) NOT NULL,
  `secret` VARCHAR(255) NOT NULL,
  `systemId` INT NOT NULL,
  UNIQUE KEY `url_and_system` (`url`, `systemId`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `issuers` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `url` VARCHAR(255) NOT NULL,
  `description` TEXT NULL,
  `email` VARCHAR(255) NULL DEFAULT NULL,
  `imageId` INT NULL DEFAULT NULL,
  `systemId` INT NULL DEFAULT NULL,
  UNIQUE KEY `slug_and_system` (`slug`, `systemId`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `programs` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `url` VARCHAR(255) NOT NULL,
  `description` TEXT NULL,
  `email` VARCHAR(255) NULL DEFAULT NULL,
  `imageId` INT NULL DEFAULT NULL,
  `issuerId` INT NULL DEFAULT NULL,
  UNIQUE KEY `slug_and_issuer` (`slug`, `issuerId`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `badges` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL,
  `name` VARCHAR(255) NOT NULL,
  `strapline` VARCHAR(140) NULL DEFAULT NULL,
  `earnerDescription` TEXT NOT NULL,
  `consumerDescription` TEXT NOT NULL,
  `issuerUrl` VARCHAR(255) NULL DEFAULT NULL,
  `rubricUrl` VARCHAR(255) NULL DEFAULT NULL,
  `criteriaUrl` VARCHAR(255) NOT NULL,
  `timeValue` INT NULL DEFAULT NULL,
  `timeUnits` ENUM('minutes', 'hours', 'days', 'weeks') NULL DEFAULT NULL,
  `limit` INT NULL DEFAULT NULL,
  `unique` BOOLEAN NOT NULL DEFAULT FALSE,
  `archived` BOOLEAN NOT NULL DEFAULT FALSE,
  `created` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `imageId` INT NOT NULL,
  `programId` INT NULL DEFAULT NULL,
  `issuerId` INT NULL DEFAULT NULL,
  `systemId` INT NULL DEFAULT NULL,
  `type` VARCHAR(255) NOT NULL,
  `evidenceType` ENUM('URL', 'Text', 'Photo', 'Video', 'Sound') NULL DEFAULT NULL,
  UNIQUE KEY `slug` (`slug`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `categories` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `badgeId` INT NOT NULL,
  `value` VARCHAR(255) NOT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `claimCodes` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `code` VARCHAR(255) NOT NULL,
  `claimed` BOOLEAN NOT NULL DEFAULT FALSE,
  `email` VARCHAR(255) NULL DEFAULT NULL,
  `multiuse` BOOLEAN NOT NULL DEFAULT FALSE,
  `badgeId` INT NOT NULL,
  UNIQUE KEY `code_and_badge` (`code`, `badgeId`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `badgeInstances` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL UNIQUE,
  `email` VARCHAR(255) NOT NULL,
  `issuedOn` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `expires` TIMESTAMP NULL DEFAULT NULL,
  `claimCode` VARCHAR(255) NULL DEFAULT NULL,
  `badgeId` INT NOT NULL,
  UNIQUE KEY `email_and_badge` (`email`, `badgeId`)
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `criteria` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `badgeId` INT NOT NULL,
  `description` TEXT NOT NULL,
  `note` TEXT NOT NULL,
  `required` BOOLEAN NOT NULL DEFAULT FALSE
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `tags` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `badgeId` INT NOT NULL,
  `value` VARCHAR(255) NOT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `applications` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL,
  `badgeId` INT NOT NULL,
  `learner` VARCHAR(255) NOT NULL,
  `created` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `assignedTo` VARCHAR(255) NULL DEFAULT NULL,
  `assignedExpiration` TIMESTAMP NULL DEFAULT NULL,
  `processed` TIMESTAMP NULL DEFAULT NULL,
  `programId` INT NULL DEFAULT NULL,
  `issuerId` INT NULL DEFAULT NULL,
  `systemId` INT NULL DEFAULT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `evidence` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `applicationId` INT NOT NULL,
  `url` VARCHAR(255) NULL DEFAULT NULL,
  `mediaType` ENUM('image', 'link') NULL DEFAULT NULL,
  `reflection` TEXT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `reviews` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `slug` VARCHAR(255) NOT NULL,
  `applicationId` INT NOT NULL,
  `author` VARCHAR(255) NOT NULL,
  `comment` TEXT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `reviewItems` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `reviewId` INT NOT NULL,
  `criterionId` INT NOT NULL,
  `satisfied` BOOLEAN NOT NULL DEFAULT FALSE,
  `comment` TEXT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `milestones` (
  `id` INT NOT NULL AUTO_INCREMENT,
  `systemId` INT NOT NULL,
  `primaryBadgeId` INT NOT NULL,
  `numberRequired` INT NOT NULL,
  `action` ENUM('issue', 'queue-application') NULL DEFAULT 'issue',
  PRIMARY KEY (`id`),
  FOREIGN KEY (`systemId`) REFERENCES `systems` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  FOREIGN KEY (`primaryBadgeId`) REFERENCES `badges` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
) CHARACTER SET utf8mb3 ENGINE=InnoDB;

CREATE TABLE `milestoneBadges` (
  `id` INT NOT NULL AUTO_INCREMENT,
  `milestoneId` INT NOT NULL,
  `badgeId` INT NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `milestone_and_badge` (`milestoneId`, `badgeId`),
  FOREIGN KEY (`milestoneId`) REFERENCES `milestones` (`id`) ON DELETE CASCADE ON UPDATE CASCADE,
  FOREIGN KEY (`badgeId`) REFERENCES `badges` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;

CREATE TABLE `alignments` (
  `id` INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `badgeId` INT NOT NULL,
  `name` TEXT NOT NULL,
  `url` TEXT NOT NULL,
  `description` TEXT NULL
) CHARACTER SET utf8mb3 ENGINE=InnoDB;
