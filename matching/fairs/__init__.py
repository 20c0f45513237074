"""Consultation fairs: setup and invitations (`setup`), meeting requests (`requests`), booking
meetings without double booking (`booking`), the scheduler run and publishing (`scheduling`),
calendars (`calendar`) and emails (`emails`). Models live in `matching.models.fairs`."""
